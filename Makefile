# Two commands a new user needs: `make audit` (sets up, audits sample_exports) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out/sample

.PHONY: setup setup-spark browser audit test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

# The Spark engine (docs/engines.md): pyspark from the `spark` dependency group, and Debian's
# Java runtime when `java` is missing. The test suite needs it (tests/test_spark_audit.py, tests/test_spark_sql.py).
setup-spark: $(VENV)/.spark-installed

$(VENV)/.spark-installed: $(VENV)/.installed
	@sh scripts/apt-install.sh install-java 'command -v java' openjdk-17-jre-headless
	$(BIN)/python -m pip install --quiet --group spark
	touch $@

# Headless Chromium and CJK fonts for the report browser test (Debian packages).
browser:
	@sh scripts/apt-install.sh install-browser 'command -v chromium && fc-list | grep -qi CJK' chromium fonts-noto-cjk

# Exit status 1 means "audit done, blocking findings present": the sample has them by design.
audit: setup
	$(BIN)/auditor audit sample_exports --policy shanghai-2022 --out $(OUT) || [ $$? -eq 1 ]
	@echo "reports: $(OUT)/index.html"

test: setup setup-spark browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check auditor tests benchmarks
	$(BIN)/ruff format --check auditor tests benchmarks
	$(BIN)/mypy auditor
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/run_benchmark.py --sessions 10000000 --fraud --check-limits

clean:
	rm -rf $(VENV) out build dist
