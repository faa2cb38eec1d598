# The two commands of the README: `make run` (install + start the app) and `make test`.
PY ?= python3
export QT_API = pyside6
# Tests start several torch processes at once (training subprocesses, torchrun); passive OpenMP
# threads stop them spinning against each other on a 2-core machine (measured: 12 s -> 0.9 s a step).

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

# FOMM_TEST_ORDER=reverse (or shuffle:SEED) runs the tests in another order; see tests/conftest.py.
test: bootstrap
	$(MAKE) --no-print-directory lint
	QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE $(PY) -m pytest -q -rs -p no:cacheprovider $(PYTEST_ARGS)
