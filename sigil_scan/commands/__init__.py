"""The commands, one module per command family (imported lazily by sigil_scan.cli)."""
