# Waitless. `make run` and `make test` each do all their own set-up (a .venv, installs, migrations, seed).
PY      := .venv/bin/python
FLASK   := .venv/bin/flask --app wsgi
STAMP   := .venv/.installed
DEVSTAMP := .venv/.installed-dev
export WAITLESS_ENV ?= development

.PHONY: run test test-unit e2e bench lint translations messages install install-dev clean browser screenshots

# `make run` needs the runtime packages only; tests, benchmarks and lint add requirements-dev.txt
$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEVSTAMP)

install: $(STAMP) translations

install-dev: $(DEVSTAMP) translations

translations: $(STAMP)
	.venv/bin/pybabel compile --statistics -d translations >/dev/null

# after changing user-visible text: refresh the German catalogue, then translate the new entries
messages: $(DEVSTAMP)
	.venv/bin/pybabel extract -F babel.cfg -k _l -k _mark --ignore-dirs='.* __pycache__' -o /tmp/waitless.pot .
	.venv/bin/pybabel update -i /tmp/waitless.pot -d translations -l de --no-fuzzy-matching

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --scale small
	JOBS_ENABLED=true $(PY) wsgi.py

# TEST_DATABASE_URL picks the database (default: a temporary SQLite file); .ci/run runs SQLite and MariaDB.
test: install-dev browser
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: install-dev
	$(PY) -m pytest tests/unit -q

e2e: install-dev browser
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

bench: install-dev
	@for b in benchmarks/[a-z]*.py; do $(PY) -m benchmarks.$$(basename $$b .py) $(BENCH_ARGS) || exit 1; done

# refresh docs/screenshots from the browser tests (an ordinary `make test` writes them under instance/)
screenshots: install-dev browser
	WAITLESS_SCREENSHOTS=1 $(PY) -m pytest tests/e2e -q

# Debian's Chromium and a font for the browser tests (installed through apt as root, or a one-line instruction)
browser:
	@scripts/ensure-browser

lint: install-dev
	.venv/bin/ruff check .

clean:
	rm -rf .venv instance .pytest_cache .ruff_cache
