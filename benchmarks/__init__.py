"""Benchmarks (docs/benchmarks.md): `python -m benchmarks.<name> [--db URL]` prints one JSON line of figures."""
