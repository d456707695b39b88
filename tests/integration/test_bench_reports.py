"""The dashboards benchmark (issue #17, part 4) in its quick mode: one JSON line, every page answered."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_stats_only_prints_one_line_with_every_page_answered(tmp_path):
    result = subprocess.run([sys.executable, "-m", "benchmarks.reports_dashboard", "--stats-only", "--hospitals", "3",
                             "--doctors", "9", "--history-days", "20", "--requests", "12",
                             "--db", f"sqlite:///{tmp_path}/bench.sqlite"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    figures = json.loads(line)
    assert figures["bench"] == "reports_dashboard" and figures["history"] == "statistics"
    assert figures["daily_rows"] == 9 * 20 and figures["nightly_day_s"] is None
    assert figures["status_counts"] == {"200": 15}  # the warm-up and the measured requests, all answered
    assert set(figures["p95_ms_by_role"]) <= {"region_admin", "hospital_admin", "doctor"}
