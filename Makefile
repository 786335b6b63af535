# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
## Test processes: the suite's databases are per process, so the two cores of a CI machine both work.
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint install translations messages clean fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel --quiet compile -d qcrm/translations

## Re-extract the strings and merge them into the catalogues (then translate qcrm/translations/*/messages.po).
messages: $(STAMP)
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -o qcrm/translations/messages.pot .
	$(BIN)/pybabel --quiet update -i qcrm/translations/messages.pot -d qcrm/translations --no-fuzzy-matching

instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@
	chmod 600 $@

run: $(STAMP) translations instance/config.py
	QCRM_ENV=development $(FLASK) qcrm init --no-admin
	QCRM_ENV=development $(FLASK) qcrm demo
	@echo "Serving http://127.0.0.1:5000 with the scheduler beside it (Ctrl+C stops both)."
	QCRM_ENV=development $(FLASK) qcrm scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	QCRM_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) translations lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

## Fuzz the API from its OpenAPI document (schemathesis in its own .venv-fuzz; not part of test).
FUZZ_VENV := .venv-fuzz
FUZZ_STAMP := $(FUZZ_VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(FUZZ_STAMP): pyproject.toml
	test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FUZZ_VENV)/bin/python -m pip install --quiet -e . 'schemathesis>=4.0,<5'
	rm -f $(FUZZ_VENV)/.installed-*
	touch $@

fuzz: $(FUZZ_STAMP) translations
	$(FUZZ_VENV)/bin/python -m bench.fuzz_api

clean:
	rm -rf $(VENV) $(FUZZ_VENV) .pytest_cache .ruff_cache
	find qcrm -name '*.mo' -delete
