# Waitless. `make run` and `make test` each do all their own set-up (a .venv, installs, migrations, seed).
PY      := .venv/bin/python
FLASK   := .venv/bin/flask --app wsgi
STAMP   := .venv/.installed
export WAITLESS_ENV ?= development

.PHONY: run test test-unit e2e bench lint translations messages install clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	.venv/bin/pybabel compile --statistics -d translations >/dev/null

# after changing user-visible text: refresh the German catalogue, then translate the new entries
messages: $(STAMP)
	.venv/bin/pybabel extract -F babel.cfg -k _l -k _mark --ignore-dirs='.* __pycache__' -o /tmp/waitless.pot .
	.venv/bin/pybabel update -i /tmp/waitless.pot -d translations -l de --no-fuzzy-matching

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --scale small
	JOBS_ENABLED=true $(PY) wsgi.py

# TEST_DATABASE_URL picks the database (default: a temporary SQLite file); .ci/run runs SQLite and MariaDB.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest tests/unit -q

e2e: install
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

bench: install
	@for b in benchmarks/[a-z]*.py; do $(PY) -m benchmarks.$$(basename $$b .py) $(BENCH_ARGS) || exit 1; done

lint: install
	.venv/bin/ruff check .

clean:
	rm -rf .venv instance .pytest_cache .ruff_cache
