# onnx-cost: everything runs from a local virtualenv that this Makefile creates.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_STAMP := $(VENV)/.lint-installed

.PHONY: install demo test lint fixtures docs bench fuzz validate clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(BIN)/pip install -q -e '.[test,runtime,plot]'
	touch $(STAMP)

install: $(STAMP)

$(LINT_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[test,lint]'
	touch $(LINT_STAMP)

demo: $(STAMP)  ## analyze a shipped fixture model
	$(BIN)/onnx-cost fixtures/tiny_cnn.onnx

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

lint: $(LINT_STAMP)  ## ruff (rules in pyproject.toml) and mypy on onnx_cost/
	$(BIN)/ruff check onnx_cost tests scripts
	$(BIN)/mypy

fixtures: $(STAMP)  ## regenerate fixtures/ and the golden CSVs
	$(BIN)/python scripts/make_fixtures.py

docs: $(STAMP)  ## regenerate the per-op table of docs/counting.md and the rule index rules/_index.py
	$(BIN)/python scripts/gen_rule_index.py
	$(BIN)/python scripts/gen_counting_doc.py
	$(BIN)/python scripts/gen_conventions_doc.py

bench: $(STAMP)  ## the speed/memory ladder; writes docs/performance.md (minutes)
	$(BIN)/pip install -q onnx-tool==1.0.1 tabulate --no-deps 2>/dev/null || echo "onnx-tool not installed: its column stays empty"
	# a conservative floor: ml_dtypes 0.7's import (which `import onnx` pays) adds ~0.8 s to both sides
	$(BIN)/pip install -q 'ml_dtypes<0.7' 2>/dev/null || echo "ml_dtypes left as installed: see the Machine section"
	$(BIN)/python scripts/bench.py

validate: $(STAMP)  ## predicted latency against onnxruntime on models not used for calibration (minutes)
	$(BIN)/python scripts/validate.py $(VALIDATE_ARGS)

fuzz: $(STAMP)  ## a longer property-based fuzz run than CI's (minutes)
	FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest tests/test_fuzz.py -q

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
