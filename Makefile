# The two commands: `make demo` (set up, then grade the bundled sample class) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch's CPU build: from PyTorch's CPU index when it answers (pip prefers its 2.x.y+cpu to PyPI's
# 2.x.y, the CUDA build), else from pip's own configuration (a machine that holds a local CPU wheel
# and no way out). constraints.txt pins the version either way.
CPU_INDEX := https://download.pytorch.org/whl/cpu
TORCH_FROM = $(shell $(PYTHON) -c "import urllib.request as u; u.urlopen('$(CPU_INDEX)/torch/', timeout=5)" \
	>/dev/null 2>&1 && echo "--extra-index-url $(CPU_INDEX)")

.PHONY: demo test bench clean

$(BIN)/.installed: pyproject.toml constraints.txt grader/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt $(TORCH_FROM) -e ".[nbgrader,dask]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m grader grade samples/class --out demo-out --force
	@echo
	@echo "One student's report, as they would read it:"
	$(BIN)/python -m grader grade samples/class/ben --plots demo-out/plots/ben

test: $(BIN)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -ra

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/grade_class.py

clean:
	rm -rf $(VENV) demo-out
