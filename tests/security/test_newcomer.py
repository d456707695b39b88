"""A newcomer's first hour (issue #11, parts 1 and 12): everything the project needs is in the repository, the
README's commands run as typed from a fresh clone, `make bench` prints only JSON and one BENCH_ARGS drives every
benchmark, the seed's mail is in /dev/mail at once, and the development server listens where PORT and HOST say
without calling itself a production deployment."""
from __future__ import annotations

import gzip
import importlib
import json
import logging
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.dev import server
from app.extensions import db
from app.models import OutboxMessage
from app.scheduling.simulation_model import NOSHOW_FILE, find_noshow_file, load_noshow_rates
from benchmarks._common import parse
from tests.conftest import ROOT

BENCHMARKS = sorted(p.stem for p in (ROOT / "benchmarks").glob("[a-z]*.py"))

# Paths that only exist on one machine: home folders, scratch space, the folder a checkout happens to sit in, or
# a sibling of the repository. System programs (/usr/bin/chromium, /usr/bin/env) are installed, not assumed.
OUTSIDE = [
    re.compile(r"(?<![\w.~-])/(work|home|Users|root|mnt|srv|opt|tmp|farm|data|shared)/"),
    re.compile(r"\.\./"),
    re.compile(r"""["'/]shared["'/]"""),
]


def _project_files():
    for folder in ("app", "benchmarks", "scripts", "docs", "templates", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix not in {".png", ".jpg", ".pyc", ".mo", ".gz"} \
                    and "__pycache__" not in path.parts:
                yield path
    for name in ("Makefile", "README.md", "config.py", "wsgi.py", "data/noshow/README.md"):
        yield ROOT / name


def test_no_absolute_or_outside_paths():
    found = []
    for path in _project_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if any(p.search(line) for p in OUTSIDE):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "paths outside the repository:\n" + "\n".join(found)


# --- the README's commands

def _code_blocks(text: str) -> list[list[str]]:
    """The README's code: fenced blocks and blocks indented by four spaces (outside lists)."""
    blocks, current, fenced = [], None, False
    for line in text.splitlines():
        if line.startswith("```"):
            if fenced:
                blocks.append(current)
                current, fenced = None, False
            else:
                current, fenced = [], True
            continue
        if fenced:
            current.append(line)
        elif line.startswith("    ") and line.strip():
            if current is None:
                current = []
            current.append(line.strip())
        elif current is not None and line.strip():
            blocks.append(current)
            current = None
    if current:
        blocks.append(current)
    return blocks


ASSIGNMENTS = re.compile(r"^(?:[A-Z_]+=\S*\s+)*")


def test_readme_flask_and_python_commands_run_from_the_repository():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = _code_blocks(text)
    commands = [line for block in blocks for line in block]
    assert any(c.startswith(".venv/bin/flask --app wsgi") for c in commands)
    for block in blocks:
        environment = False
        for line in block:
            command = ASSIGNMENTS.sub("", line)
            assert not re.match(r"(flask|python3?|pytest|pybabel|gunicorn|celery)\b", command), \
                f"README: {line!r} needs the .venv: write .venv/bin/{command.split()[0]} or a make target"
            if line.startswith("export WAITLESS_ENV=") or "WAITLESS_ENV=" in line.split(".venv")[0]:
                environment = True
            if command.startswith(".venv/bin/flask"):
                assert environment, f"README: {line!r} runs in production (no SECRET_KEY) unless WAITLESS_ENV is set"
    for span in re.findall(r"`([^`\n]+)`", text):
        assert not re.match(r"(flask|python3?) ", span), f"README: `{span}` needs the .venv (.venv/bin/...)"


@pytest.mark.parametrize("doc", sorted(p.name for p in (ROOT / "docs").glob("*.md")))
def test_commands_in_the_docs_run_from_the_repository(doc):
    for block in _code_blocks((ROOT / "docs" / doc).read_text(encoding="utf-8")):
        for line in block:
            command = ASSIGNMENTS.sub("", line)
            assert not re.match(r"(flask|python3?|pytest|pybabel|gunicorn|celery)\b", command), \
                f"docs/{doc}: {line!r} needs the .venv: write .venv/bin/{command.split()[0]} or a make target"


def test_readme_says_how_to_stop_change_the_port_and_start_over():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Ctrl-C" in text and "make run PORT=" in text and "make clean" in text
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^clean:\n\trm -rf .*\.venv.*instance", makefile, re.M)


# --- the data set ships in the repository

def test_the_noshow_data_is_found_inside_the_repository():
    path = find_noshow_file({}, ROOT)
    assert path == ROOT / "data" / "noshow" / f"{NOSHOW_FILE}.gz"
    assert path.resolve().is_relative_to(ROOT.resolve())
    assert 500_000 < path.stat().st_size < 3_000_000  # compressed: about 1.6 MB
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert fh.readline().startswith("PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay")
    readme = (ROOT / "data" / "noshow" / "README.md").read_text(encoding="utf-8")
    assert "Medical Appointment No Shows" in readme and "CC BY-NC-SA 4.0" in readme and "joniarroba" in readme


def test_the_simulation_reads_the_shipped_file_with_no_outside_help(monkeypatch):
    monkeypatch.delenv("NOSHOW_DATA", raising=False)
    rates = load_noshow_rates(find_noshow_file(os.environ, ROOT))
    assert sum(rates.counts.values()) > 70_000


# --- benchmarks: one BENCH_ARGS for all, JSON only on stdout

COMMON = ["--db", "sqlite:///bench.sqlite", "--seed", "3"]
OTHERS = ["--rounds", "2", "--queries", "4", "--days", "5", "--database", "wl_x", "--fresh"]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_accepts_the_common_flags_and_ignores_the_others(name):
    module = importlib.import_module(f"benchmarks.{name}")
    options = parse(module.arguments(), COMMON + OTHERS)
    assert options.db == "sqlite:///bench.sqlite" and options.seed == 3
    with pytest.raises(SystemExit):  # a bad value of a common flag still stops the run
        parse(module.arguments(), ["--seed", "three"])


def test_load_run_uses_the_database_db_names():
    from benchmarks.load_run import target_url

    url = "mysql+pymysql://root@127.0.0.1:3306/wl_bench?charset=utf8mb4"
    assert target_url(url).database == "wl_bench"
    assert target_url(url, "wl_other").database == "wl_other"
    assert target_url("mysql+pymysql://root@127.0.0.1:3306/").database == "wl_load"


def test_make_bench_prints_only_json_lines(tmp_path):
    """`make bench | jq`: with a stand-in for the benchmarks' Python, stdout holds their lines and nothing of make's
    own (recipe echo, set-up, translations); each gets the same BENCH_ARGS."""
    stand_in = tmp_path / "python"
    stand_in.write_text('#!/bin/sh\nshift\nprintf \'{"bench": "%s", "args": "%s"}\\n\' "$1" "$*"\n')
    stand_in.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "-o", ".venv/.installed-dev", "bench",
         f"PY={stand_in}", "BENCH_ARGS=--db sqlite:///x.sqlite --seed 2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [json.loads(line)["bench"] for line in lines] == [f"benchmarks.{name}" for name in BENCHMARKS]
    assert all(json.loads(line)["args"].endswith("--db sqlite:///x.sqlite --seed 2") for line in lines)


# --- part 1: one set-up step for the browser

def test_make_test_e2e_and_ci_install_the_browser_through_one_script():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("test", "e2e"):
        assert re.search(rf"^{target}:.*\bbrowser\b", makefile, re.M), f"make {target} must run the browser step"
    assert re.search(r"^browser:\n\t@?scripts/ensure-browser", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/ensure-browser" in ci and "apt-get" not in ci
    assert os.access(ROOT / "scripts" / "ensure-browser", os.X_OK)


def test_ensure_browser_says_in_one_line_what_to_install_when_not_root(tmp_path):
    fake_id = tmp_path / "id"
    fake_id.write_text("#!/bin/sh\necho 1000\n")
    fake_id.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "CHROMIUM": str(tmp_path / "no-chromium")}
    result = subprocess.run([str(ROOT / "scripts" / "ensure-browser")], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "apt-get install -y chromium" in line


# --- /dev/mail right after the seed

def test_dev_mail_shows_the_seed_mail_as_soon_as_the_seed_ends(app, runner, client, mail_folder):
    res = runner.invoke(args=["demo", "seed", "--scale", "small", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "/dev/mail" in res.output and "Delivered" in res.output
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert rows and all(r.status == "sent" for r in rows), [(r.template, r.status) for r in rows]
    page = client.get("/dev/mail").get_data(as_text=True)
    assert "An earlier appointment is free" in page  # patient1's waitlist offer, which the seed points at


# --- the development server

def test_the_development_server_listens_on_host_and_port_without_the_production_warning(app, monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(app, "run", lambda **kw: calls.append(kw))
    caplog.set_level(logging.INFO)
    server.serve(app, {"HOST": "127.0.0.2", "PORT": "8123"})
    assert calls == [{"host": "127.0.0.2", "port": 8123, "threaded": True, "use_reloader": False}]
    assert "production deployment" not in caplog.text and "Ctrl-C" in caplog.text
    assert server.address({}) == ("127.0.0.1", 5000)


def test_the_development_server_refuses_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "WAITLESS_ENV", "production")
    monkeypatch.setattr(app, "run", lambda **kw: pytest.fail("served in production"))
    with pytest.raises(server.NotForProduction):
        server.serve(app, {})


def test_wsgi_uses_the_development_server_module():
    source = (ROOT / "wsgi.py").read_text(encoding="utf-8")
    assert "allow_unsafe_werkzeug" not in source and "serve(app)" in source


def test_the_repository_has_everything_the_tests_read():
    """Nothing under tests/ reaches outside the repository either (fixtures make their files in tmp_path)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<![\w.~-])/(work|home|Users|farm)/|\.\./shared", line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert not found
