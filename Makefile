# Two entry points: `make demo` (set up, then run the whole DAG on the synthetic demo) and `make test`.
# The virtual environment in .venv is created once and reused; it is refreshed when requirements change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: setup demo test check lint dryrun report clean-demo

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml --report results/report.html

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q

# Quick check while working: lint and the unit tests (not the tests marked slow, nor SLURM); `make test` runs all.
check: $(STAMP) lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -m "not slow and not slurm"

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakemake --lint --configfile config/demo.yaml
	$(BIN)/snakefmt --check Snakefile rules/

clean-demo:
	rm -rf results logs resources/synthetic .snakemake .xlt-cache
