"""Start-up does the once-per-process work, so that no request pays for it (docs/benchmarks.md, "Start-up and
plain inserts")."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# a fresh interpreter: in the test process another test's query may already have configured the mappers
PROBE = """
from app import create_app
from app.extensions import db
create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
print("unconfigured" if db.Model.registry._new_mappers else "configured")
"""


def test_the_mappers_are_configured_before_the_first_request():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "configured"
