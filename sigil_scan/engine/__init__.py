"""Rule library loading, matching and evaluation."""
