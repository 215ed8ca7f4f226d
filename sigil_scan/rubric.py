"""Scoring: the transparent rubric of design.md §3, driven by rules/rubric.yaml."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sigil_scan.model import Bucket, Reason


class Rubric:
    def __init__(self, data: dict[str, Any]) -> None:
        self.max_score = float(data.get("max_score", 10.0))
        self.surcharge = float(data.get("repeat_surcharge", 0.25))
        bounds = data.get("buckets") or {"low": 0.0, "medium": 1.0, "high": 4.0, "critical": 7.0}
        # highest bound first, so the first bound a score reaches names its bucket
        self.bounds = sorted(((float(v), Bucket.parse(k)) for k, v in bounds.items()), reverse=True)
        self.weights: dict[str, dict[str, Any]] = data.get("weights") or {}

    def known(self, kind: str) -> bool:
        return kind in self.weights

    def weight_of(self, kind: str, fields: dict[str, Any]) -> tuple[float, str]:
        """Weight and group key of one reason; an unknown kind weighs 0."""
        spec = self.weights.get(kind)
        if spec is None:
            return 0.0, kind
        weight, group = float(spec.get("weight", 0.0)), str(spec.get("group", kind))
        variants = spec.get("variants")
        if variants:
            chosen = (variants.get("values") or {}).get(str(fields.get(variants["field"])))
            if chosen:
                weight = float(chosen.get("weight", weight))
                group = str(chosen.get("group", group))
        return weight, group

    def bucket(self, score: float, *, has_reasons: bool = True) -> Bucket:
        if not has_reasons:
            return Bucket.NONE
        for bound, bucket in self.bounds:
            if score >= bound:
                return bucket
        return Bucket.LOW

    def severity(self, weight: float) -> Bucket:
        """A reason's own severity: the bucket its weight alone would reach."""
        return self.bucket(weight)

    def score(self, reasons: list[Reason]) -> tuple[float, Bucket, list[Reason]]:
        """Score active reasons; return (score, bucket, reasons with weight and contribution).

        Suppressed reasons are returned unchanged with contribution 0 and do not count.
        """
        repeats: dict[str, int] = defaultdict(int)
        total = 0.0
        out: list[Reason] = []
        for reason in reasons:
            weight, group = self.weight_of(reason.kind, reason.fields)
            if reason.suppressed_by:
                out.append(reason._replace(weight=weight, contribution=0.0, group=group))
                continue
            i = repeats[group]
            repeats[group] += 1
            contribution = weight * (1 + self.surcharge * i)
            total += contribution
            out.append(reason._replace(weight=weight, contribution=round(contribution, 4), group=group))
        score = round(min(total, self.max_score), 2)
        active = any(not r.suppressed_by for r in reasons)
        return score, self.bucket(score, has_reasons=active), out
