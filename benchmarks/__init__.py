"""Benchmarks (DESIGN.md section 7): `python -m benchmarks.<name> [--db URL]` prints one JSON line of figures."""
