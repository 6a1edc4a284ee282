"""The GX-on-DuckDB workaround: still needed, still working, and failing closed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor import gxcompat
from auditor.errors import EvaluationError
from auditor.expectations import Validator
from auditor.policy import load_policy
from auditor.rules import Rule


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    con = gxcompat.connect(path)
    con.execute("CREATE TABLE f AS SELECT i AS k, i % 10 AS m FROM range(1000) t(i)")
    con.close()
    return path


def _rule(column: str, min_value: int) -> Rule:
    return Rule(
        id="TEST_RULE",
        severity="block",
        table="f",
        summary="s",
        message="m",
        evidence=(),
        expectation_type="expect_column_values_to_be_between",
        expectation_kwargs={"column": column, "min_value": min_value},
    )


def test_workaround_gives_counts_and_the_failing_rows_query(tmp_path: Path) -> None:
    validator = Validator(_db(tmp_path))
    try:
        [outcome] = validator.validate("f", [_rule("m", 2)], ("k",), load_policy("shanghai-2022"))
    finally:
        validator.close()
    assert not outcome.success
    assert (outcome.element_count, outcome.unexpected_count) == (1000, 200)
    assert outcome.unexpected_index_query is not None
    con = gxcompat.connect(tmp_path / "t.duckdb")
    rows = con.execute(outcome.unexpected_index_query.rstrip(";")).fetchall()
    assert len(rows) == 200  # every failing row, not GX's truncated list


def test_without_the_workaround_gx_cannot_read_duckdb_results(tmp_path: Path) -> None:
    """If this starts failing, upstream fixed the bug and gxcompat.install can go."""
    db = _db(tmp_path)
    validator = Validator(db)
    gxcompat.uninstall()
    try:
        with pytest.raises(EvaluationError):
            validator.validate("f", [_rule("m", 2)], ("k",), load_policy("shanghai-2022"))
    finally:
        gxcompat.install()
        validator.close()


def test_an_expectation_that_cannot_run_fails_closed(tmp_path: Path) -> None:
    validator = Validator(_db(tmp_path))
    try:
        with pytest.raises(EvaluationError, match="TEST_RULE could not be evaluated"):
            validator.validate(
                "f", [_rule("no_such_column", 1)], ("k",), load_policy("shanghai-2022")
            )
    finally:
        validator.close()


def test_gx_is_imported_on_use_not_at_start() -> None:
    """GX's import takes ~6 s: the CLI and the pipeline do not pay it before an audit starts,
    and an audit imports it in a thread while ingest runs (gxcompat.prefetch)."""
    probe = (
        "import sys, auditor.cli, auditor.pipeline, auditor.runners\n"
        "assert 'great_expectations' not in sys.modules, 'imported at start'\n"
        "from auditor import gxcompat\n"
        "gxcompat.prefetch(); gxcompat._prefetch.join()\n"
        "assert 'great_expectations' in sys.modules\n"
        "import os; assert os.environ['GX_ANALYTICS_ENABLED'] == 'false'\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
