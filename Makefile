# Entry points, each doing its own set-up on a fresh machine:
#   make test       - create .venv, install the pinned stack and hsrcount,
#                     run the whole test suite (what CI runs)
#   make test-fast  - the same without the slow end-to-end tests
#   make lint       - ruff (pyflakes, pycodestyle) and isort
#   make demo       - train HSRNet on synthetic crowds, then test it
#   make mutate     - mutation testing (mutmut) of the core modules, not in
#                     CI; MODULES="datasets/density.py models/losses" narrows
#                     it (paths under hsrcount/), MUTATE_JOBS sets the workers
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Test files run on two pytest-xdist workers (CI has two cores).
TEST_WORKERS ?= 2
PIP_INSTALL := $(PY) -m pip install -q -c requirements/constraints.txt
LINT_PATHS := hsrcount tools tests projects configs setup.py

.PHONY: install test test-fast lint demo mutate clean

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
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-fast: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/isort --check-only --diff $(LINT_PATHS)

demo: $(STAMP)
	bash tools/demo.sh $(PY)

# Module paths become mutmut's mutant-name globs: models/losses ->
# 'hsrcount.models.losses.*'. The copies of the tests run in mutants/, so
# the real data is pointed at from here.
MODULES ?=
MUTATE_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
MUTANT_GLOBS := $(foreach m,$(MODULES),'hsrcount.$(subst /,.,$(patsubst %.py,%,$(patsubst %/,%,$(m)))).*')

mutate: $(STAMP)
	$(PIP_INSTALL) -r requirements/mutate.txt
	env -u PYTHONPATH OMP_NUM_THREADS=1 \
		HSRCOUNT_SHARED_DATA=$${HSRCOUNT_SHARED_DATA:-$(CURDIR)/../shared/data} \
		$(VENV)/bin/mutmut run --max-children $(MUTATE_JOBS) $(MUTANT_GLOBS)
	$(PY) tools/mutation_summary.py --survivors $(MODULES)

clean:
	rm -rf $(VENV) work_dirs/demo mutants
