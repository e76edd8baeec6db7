# Two entry points, each doing its own set-up on a fresh machine:
#   make test  - create .venv, install the pinned stack and hsrcount, run pytest
#   make demo  - same set-up, then train HSRNet on synthetic crowds and test it
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test demo clean

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip "setuptools<82" wheel
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest tests -q -p no:cacheprovider

demo: $(STAMP)
	bash tools/demo.sh $(PY)

clean:
	rm -rf $(VENV) work_dirs/demo
