# Entry points, each doing its own set-up on a fresh machine:
#   make test       - create .venv, install the pinned stack and hsrcount,
#                     run the whole test suite (what CI runs)
#   make test-fast  - the same without the slow end-to-end tests
#   make lint       - ruff (pyflakes, pycodestyle) and isort
#   make demo       - train HSRNet on synthetic crowds, then test it
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PIP_INSTALL := $(PY) -m pip install -q -c requirements/constraints.txt
LINT_PATHS := hsrcount tools tests projects configs setup.py

.PHONY: install test test-fast lint demo clean

$(STAMP): setup.py requirements/*.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip wheel
	$(PIP_INSTALL) -r requirements/runtime.txt -r requirements/tests.txt \
		-r requirements/lint.txt -r requirements/deploy.txt \
		-r requirements/demo.txt -r requirements/tensorboard.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/isort --check-only --diff $(LINT_PATHS)

demo: $(STAMP)
	bash tools/demo.sh $(PY)

clean:
	rm -rf $(VENV) work_dirs/demo
