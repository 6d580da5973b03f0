# The two commands: `make demo` (set up, then grade the bundled sample class) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[nbgrader,dask]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m grader grade samples/class --out demo-out --force
	@echo
	@echo "One student's report, as they would read it:"
	$(BIN)/python -m grader grade samples/class/ben --plots demo-out/plots/ben

test: $(BIN)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/grade_class.py

clean:
	rm -rf $(VENV) demo-out
