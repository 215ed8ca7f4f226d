"""Assess many surfaces on several cores: fork, split the work, merge in the original order.

A scan of hundreds of repositories spends its time assessing surfaces one by one, in pure
Python. `fork_map` gives each forked child an interleaved share of the items and computes the
parent's share itself; the children send their results back pickled over a pipe, and the
results come back in item order, so the output is byte-identical to a serial run.

Why not concurrent.futures or multiprocessing: importing them costs 20-35 ms, as much as the
parallel run saves on 200 repositories. A fork inherits the loaded rule library, so nothing has
to be sent to a child but its share's indices.

Safety: only where `os.fork` exists and no other thread runs (watch mode has observer threads;
a forked child would inherit their locks held). A child never touches the parent's buffers or
exit handlers (`os._exit`). A child that fails, dies or sends something unreadable costs
nothing but time: the parent computes that share itself. SIGIL_JOBS=1 turns this off.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_PROCESS = 32  # below this a fork + pickle costs more than it saves
MAX_PROCESSES = 8


def processes_for(count: int) -> int:
    """How many processes to use for `count` items: SIGIL_JOBS if set, else the usable CPUs."""
    raw = os.environ.get("SIGIL_JOBS", "")
    try:
        # macOS: a fork without exec is unsafe once system libraries have started threads
        # (CPython's multiprocessing no longer forks there by default), so only when asked
        wanted = int(raw) if raw else 1 if sys.platform == "darwin" else _cpus()
    except ValueError:
        wanted = 1
    return max(1, min(wanted, MAX_PROCESSES, count // MIN_ITEMS_PER_PROCESS))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (containers, taskset)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _can_fork() -> bool:
    if not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def fork_map(fn: Callable[[T], R], items: Sequence[T], processes: int) -> list[R]:
    """[fn(item) for item in items], computed by `processes` processes (this one included)."""
    if processes < 2 or len(items) < 3 or not _can_fork():
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    # the first item here, before any fork: what it imports and compiles on first use (the shell
    # analyser, adapters, regexes: ~10 ms) is then inherited instead of paid once per process
    results[0] = fn(items[0])
    import pickle  # noqa: F401 - imported once here, inherited by every child that sends with it

    children: list[tuple[int, int, range]] = []  # (pid, read end, indices)
    # A collection in a child writes to the header of every object it visits and so copies the
    # pages it shares with the parent: frozen objects are never visited (CPython's advice for fork)
    gc.freeze()
    for worker in range(1, processes):
        share = range(1 + worker, len(items), processes)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running anything of the parent's
            status = 1
            try:
                gc.disable()  # short-lived: its garbage goes with it
                os.close(read_end)
                _send(write_end, [fn(items[i]) for i in share])
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        children.append((pid, read_end, share))
    gc.unfreeze()
    try:
        for i in range(1, len(items), processes):
            results[i] = fn(items[i])
    except BaseException:
        for pid, read_end, _share in children:  # no zombies, no stray writers (Ctrl-C included)
            os.close(read_end)
            os.waitpid(pid, 0)
        raise
    for pid, read_end, share in children:
        got = _receive(pid, read_end, len(share))
        for i, value in zip(share, got if got is not None else [fn(items[i]) for i in share], strict=True):
            results[i] = value
    return results


def _send(fd: int, values: list[Any]) -> None:
    import copyreg
    import pickle

    copyreg.pickle(MappingProxyType, _reduce_proxy)  # read-only mappings (Fact.anchors) travel as dicts
    data = memoryview(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))
    while data:
        data = data[os.write(fd, data) :]
    os.close(fd)


def _receive(pid: int, fd: int, expected: int) -> list[Any] | None:
    """The child's results, or None if it failed in any way (the caller computes them)."""
    import pickle

    chunks: list[bytes] = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        values = pickle.loads(b"".join(chunks))  # our own child's bytes, read from our own pipe
    except Exception:  # noqa: BLE001 - anything unreadable means: compute it here
        return None
    return values if isinstance(values, list) and len(values) == expected else None


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Callable[[dict[Any, Any]], MappingProxyType[Any, Any]], tuple[dict[Any, Any]]]:
    return _proxy, (dict(proxy),)


def _proxy(data: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(data)
