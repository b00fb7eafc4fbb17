# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch's CPU build where no CUDA GPU is present (on these machines torch==2.13.0 is a local
# CPU wheel); the package itself only asks for a range, so GPU users keep their CUDA build.
TORCH_CPU ?= torch==2.13.0
TORCH_GPU ?= torch>=2.2

.PHONY: setup setup-dev demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(BIN)/python
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		echo "CUDA GPU found: installing $(TORCH_GPU)"; $(BIN)/pip install -q "$(TORCH_GPU)"; \
	else \
		echo "no CUDA GPU: installing $(TORCH_CPU) (CPU build)"; $(BIN)/pip install -q "$(TORCH_CPU)"; \
	fi
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

DATA ?= ../shared/data

demo: setup
	@# its own sub-folder, so a demo-output/ left by an older demo never blocks this one
	$(BIN)/synthecg generate -n 200 --seed 0 --out demo-output/generated
	$(BIN)/synthecg info demo-output/generated --limit 3
	$(BIN)/synthecg plot demo-output/generated --index 0 --out demo-output/ecg-0000.png --overwrite
	@# the built-in generator's ECGs against the real normal-rhythm ECGs of the shared data
	$(BIN)/synthecg evaluate --synthetic demo-output/generated --filter normal --holdout-fraction 0.3 \
		--real $(DATA)/ludb/data --real $(DATA)/cinc2021-samples --real $(DATA)/cinc2020-samples \
		--out demo-output/evaluation --overwrite

test: setup-dev
	$(BIN)/python -m pytest -q

bench: setup-dev
	$(BIN)/python benchmarks/generate.py --quick

clean:
	rm -rf $(VENV) demo-output
