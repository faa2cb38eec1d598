# The two commands of the README: `make run` (install + start the app) and `make test`.
PY ?= python3
export QT_API = pyside6

.PHONY: run test lint bootstrap

bootstrap:
	./scripts/bootstrap.sh

run: bootstrap
	$(PY) main.py $(ARGS)

lint: bootstrap
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	lint-imports
	$(PY) -m mypy

test: bootstrap
	$(MAKE) --no-print-directory lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)
