"""Watch mode and drift tracking. Only `observer.py` imports watchdog (a 36 ms import)."""
