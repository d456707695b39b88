"""The demo region: a small seeded region for `make run`, and the region scale for benchmarks."""
from app.demo.catalogue import DEMO_PASSWORD
from app.demo.region import seed_region
from app.demo.small import seed_small

__all__ = ["DEMO_PASSWORD", "seed_region", "seed_small"]
