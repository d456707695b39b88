# Waitless. `make run` and `make test` each do all their own set-up (a .venv, installs, migrations, seed).
PY      := .venv/bin/python
FLASK   := .venv/bin/flask --app wsgi
STAMP   := .venv/.installed
DEVSTAMP := .venv/.installed-dev
# every make target runs in development; without WAITLESS_ENV the app is production and needs a SECRET_KEY
export WAITLESS_ENV ?= development
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test test-unit mutate e2e bench lint translations messages install install-dev clean browser screenshots wrk

# `make run` needs the runtime packages only; tests, benchmarks and lint add requirements-dev.txt.
# Set-up talks on stderr only (`@` and >&2): `make bench | jq` must see nothing but the benchmarks' JSON lines.
$(STAMP): requirements.txt
	@echo "setting up .venv (runtime packages)" >&2
	@test -x $(PY) || python3 -m venv .venv >&2
	@$(PY) -m pip install --quiet --upgrade pip >&2
	@$(PY) -m pip install --quiet -r requirements.txt >&2
	@touch $(STAMP)

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	@echo "setting up .venv (test and benchmark packages)" >&2
	@$(PY) -m pip install --quiet -r requirements-dev.txt >&2
	@touch $(DEVSTAMP)

install: $(STAMP) translations

install-dev: $(DEVSTAMP) translations

translations: $(STAMP)
	@.venv/bin/pybabel compile --statistics -d translations >&2

# after changing user-visible text: refresh the German catalogue, then translate the new entries
messages: $(DEVSTAMP)
	mkdir -p instance
	.venv/bin/pybabel extract -F babel.cfg -k _l -k _mark --ignore-dirs='.* __pycache__' -o instance/waitless.pot .
	.venv/bin/pybabel update -i instance/waitless.pot -d translations -l de --no-fuzzy-matching

# the demo's no-show model: the seed trains a quick one there when it is missing (docs/noshow.md)
NOSHOW_MODEL ?= instance/noshow-demo.joblib
# serves http://$(HOST):$(PORT) until Ctrl-C; `make run PORT=8000` picks another port (docs/operations.md)
# (the seed sees HOST and PORT too: the links in its e-mails point at this server)
run: install
	$(FLASK) db upgrade
	NOSHOW_MODEL=$(NOSHOW_MODEL) HOST=$(HOST) PORT=$(PORT) $(FLASK) demo seed --scale small
	NOSHOW_MODEL=$(NOSHOW_MODEL) JOBS_ENABLED=true HOST=$(HOST) PORT=$(PORT) $(PY) wsgi.py

# TEST_DATABASE_URL picks the database (default: a temporary SQLite file); .ci/run runs SQLite and MariaDB.
# The suite runs in TEST_WORKERS processes (pytest-xdist, one per core by default; 0 runs in this process), each
# test file on one worker, each worker on its own database (tests/conftest.py, docs/testing.md).
TEST_WORKERS ?= auto
test: install-dev browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-unit: install-dev
	$(PY) -m pytest tests/unit -q

# mutation testing of the scheduling core (docs/testing.md): slow, so not part of `make test` or CI. mutmut keeps
# its work in mutants/ and resumes there; `rm -rf mutants` starts over. MUTATE_CHILDREN caps the worker processes.
MUTATE_CHILDREN ?= 2
mutate: install-dev
	.venv/bin/mutmut run --max-children $(MUTATE_CHILDREN)
	@$(PY) scripts/mutation_score.py

e2e: install-dev browser
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# stdout: one JSON line per benchmark, nothing else; BENCH_ARGS goes to every one (docs/benchmarks.md)
bench: install-dev wrk
	@for b in benchmarks/[a-z]*.py; do $(PY) -m benchmarks.$$(basename $$b .py) $(BENCH_ARGS) || exit 1; done

# refresh docs/screenshots from the browser tests (an ordinary `make test` writes them under instance/), then shrink
# them (scripts/optimise-screenshots: they are committed); PYTEST_ARGS picks tests, e.g. "-k 390" for the phone ones
screenshots: install-dev browser
	WAITLESS_SCREENSHOTS=1 $(PY) -m pytest tests/e2e -q $(PYTEST_ARGS)
	scripts/optimise-screenshots docs/screenshots/*.png

# Debian's Chromium and a font for the browser tests (installed through apt as root, or a one-line instruction)
browser:
	@scripts/ensure-browser

# wrk for the throughput benchmark (installed through apt as root; otherwise a line on stderr and its Python load)
wrk:
	@scripts/ensure-wrk

lint: install-dev
	.venv/bin/ruff check .

# start over: removes the .venv, the development database, its mail folder and the caches (docs/operations.md)
clean:
	rm -rf .venv instance .pytest_cache .ruff_cache
