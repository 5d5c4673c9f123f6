# Two environments: .venv (Python 3.11, everything of ours) and .venv-rasa
# (Python 3.10, Rasa 3.6 as a server; nothing of ours is imported there).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# python3.10 comes from pyenv on these machines; the pyenv shim only works
# when 3.10 is selected, so look for a real interpreter.
PY310 ?= $(shell for p in python3.10 $(HOME)/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do \
	  $$p -c 'import sys; assert sys.version_info[:2]==(3,10)' >/dev/null 2>&1 && { command -v $$p || echo $$p; } && break; done)
PY311 ?= $(shell for p in python3.11 $(HOME)/.pyenv/versions/3.11*/bin/python3.11 /usr/bin/python3.11; do \
	  $$p -c 'import sys; assert sys.version_info[:2]==(3,11)' >/dev/null 2>&1 && { command -v $$p || echo $$p; } && break; done)
VENV := .venv
RASA_VENV := .venv-rasa
# Bytecode is compiled at install time on purpose: where PYTHONDONTWRITEBYTECODE is set (this machine's shells),
# a package installed with --no-compile is compiled from source by every process that imports it, and the suite
# starts hundreds (seen: 30 % of the tests done after 22 minutes, against 75 % with compiled packages).
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help setup bytecode run run-production test lint demo browser-deps prod-deps benchmark load clean

help:
	@echo "make run    set everything up (first time) and start the product on SQLite (DEMO=0: no demo centre)"
	@echo "make test   set everything up (first time) and run the whole test suite"
	@echo "make demo   print the link of a new demo survey (while 'make run' is running)"
	@echo "make benchmark   turn latency and classifier benchmarks"
	@echo "make run-production   the production profile on this machine (README, Production)"
	@echo "make load   load benchmark of the production profile, one instance vs two"

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PY311)" || { echo "python3.11 not found"; exit 1; }
	@test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) -r requirements.lock
	$(VENV)/bin/pip install $(PIP_QUIET) --no-deps --no-build-isolation -e .
	@touch $@

$(RASA_VENV)/.installed: requirements-rasa.lock
	@test -n "$(PY310)" || { echo "python3.10 not found (pyenv install 3.10)"; exit 1; }
	@test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install $(PIP_QUIET) -r requirements-rasa.lock
	@touch $@

# Trains and promotes a cause classifier only when none is promoted yet.
var/models/classifier/CURRENT: | $(VENV)/.installed
	$(VENV)/bin/feedbackbot classifier ensure

# The two environments install side by side (the classifier trains once ours is ready): on two cores the
# set-up takes the longer of the two, not their sum.
setup:
	@$(MAKE) --no-print-directory -j2 $(RASA_VENV)/.installed var/models/classifier/CURRENT

# DEMO=0 skips loading the demo centre (teams, 60 days of calls, cases, appeals, demo logins).
run: setup bytecode
	$(VENV)/bin/feedbackbot run $(if $(filter 0,$(DEMO)),--no-demo)

demo:
	@$(VENV)/bin/feedbackbot demo-survey

# Browser tests drive Debian's Chromium (Playwright's own browser download
# cannot work without internet access).
browser-deps:
	@if ! test -x /usr/bin/chromium || ! test -d /usr/share/fonts/opentype/noto; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; fi

# The production profile's load balancer: Debian's HAProxy.
prod-deps:
	@if ! command -v haproxy >/dev/null && ! test -x /usr/sbin/haproxy; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; fi

# N Rasa and N action servers behind HAProxy, the web app; settings from the
# environment (README, "Production"). RASA_N / ACTIONS_N default to 2.
RASA_N ?= 2
ACTIONS_N ?= 2
run-production: setup prod-deps
	$(VENV)/bin/feedbackbot run-production --rasa $(RASA_N) --actions $(ACTIONS_N)

load: setup prod-deps
	$(VENV)/bin/python benchmarks/load.py

# mypy's cache outside the checkout, so a fresh clone on the same machine does not check every module cold
# (34 s here); the cache is keyed by each file's contents and the options, never trusted blindly.
MYPY_CACHE ?= $(HOME)/.cache/feedbackbot-mypy
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --cache-dir $(MYPY_CACHE)

# Our own packages' bytecode, written once: where PYTHONDONTWRITEBYTECODE is set, Python reads .pyc files but
# never writes them, so every process (the suite starts hundreds: servers, CLI runs) compiled our sources anew.
bytecode: $(VENV)/.installed
	@$(VENV)/bin/python -m compileall -q -j 0 actions bot classifiers zhtext

# Two workers (pytest-xdist), a module's tests together on one (its fixtures are started once): the suite is
# mostly servers starting and waiting, which one process left to a single core. Modules in collection order,
# which puts the slow ones first (tests/conftest.py), not xdist's largest-first. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: setup bytecode browser-deps prod-deps lint
	$(VENV)/bin/python -m pytest -ra $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder) $(PYTEST_ARGS)

benchmark: setup
	$(VENV)/bin/python benchmarks/turn_latency.py
	$(VENV)/bin/python benchmarks/classifier.py
	$(VENV)/bin/python benchmarks/independent_eval.py
	$(VENV)/bin/python benchmarks/leave_one_writer_out.py

clean:
	rm -rf var/log var/test-*
