"""The throughput benchmark (issue #14, part 3): one JSON line, and its Python load generator really loads a server."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

from werkzeug.serving import make_server

from benchmarks.throughput import WRK_SCRIPT, run_python
from tests.conftest import ROOT


def test_without_a_mariadb_url_it_prints_one_skipped_line():
    result = subprocess.run([sys.executable, "-m", "benchmarks.throughput", "--db", "sqlite:///x.sqlite"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["bench"] == "throughput" and "skipped" in json.loads(line)


def test_the_python_load_generator_counts_answers_and_failures(app, make):
    make.specialty()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        good = run_python(base, ["/api/v1/health", "/api/v1/specialties"], connections=4, seconds=1)
        bad = run_python(base, ["/api/v1/no-such-list"], connections=2, seconds=1)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert good["requests"] > 0 and good["errors"] == 0 and good["rps"] > 0
    assert {"p50_ms", "p95_ms", "p99_ms", "max_ms"} <= good.keys()
    assert bad["requests"] > 0 and bad["errors"] == bad["requests"]  # every 404 is an error


def test_the_wrk_script_reports_one_json_line_per_run():
    script = WRK_SCRIPT % {"paths": '"/a", "/b"'}
    assert 'local paths = {"/a", "/b"}' in script
    assert "WRK_JSON" in script and "latency:percentile(99)" in script and "%%" not in script
