"""The rules on Spark: the same GX suites, validated by GX's Spark datasource.

GX decides pass/fail and counts, as on DuckDB. For a failed expectation its Spark result carries
`unexpected_index_query` as `df.filter(F.expr('<Spark SQL condition>'))`, the condition
rendered by Catalyst; `failing_rows` runs exactly that filter on the fact table and writes the
failing rows (every column of the fact) to Parquet. Only those rows leave Spark: the findings'
text is then written from them by the same code as on DuckDB (auditor/findings.py), so a
finding reads the same whichever engine decided it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from .. import gxcompat
from ..errors import EvaluationError
from ..expectations import RESULT_FORMAT, RuleOutcome, build_suite, outcomes_of
from ..policy import Policy
from ..rules import Rule


class SparkValidator:
    """One GX context and Spark datasource, reused for every fact table."""

    def __init__(self, spark: Any) -> None:
        self._spark = spark
        self._context = gxcompat.ephemeral_context()
        self._source = self._context.data_sources.add_spark("audit")

    def validate(
        self, table: str, rules: list[Rule], grain: tuple[str, ...], policy: Policy
    ) -> list[RuleOutcome]:
        """Run the rules of one fact table (the Spark view `table`); EvaluationError if any
        could not run."""
        if not rules:
            return []
        asset = self._source.add_dataframe_asset(table)
        definition = asset.add_batch_definition_whole_dataframe(f"{table}_all")
        batch = definition.get_batch(batch_parameters={"dataframe": self._spark.table(table)})
        result = batch.validate(
            build_suite(table, rules),
            expectation_parameters=policy.expectation_parameters(),
            result_format={**RESULT_FORMAT, "unexpected_index_column_names": list(grain)},
        )
        return outcomes_of(result, table, rules)


def condition_of(query: str) -> str:
    """The Spark SQL condition of GX's `df.filter(F.expr('...'))`.

    GX renders the condition through Catalyst; where it cannot (Spark Connect, a window
    function) it falls back to a display string that is not SQL, and the audit stops rather
    than guess which rows failed.
    """
    try:
        call = ast.parse(query.strip(), mode="eval").body
        assert isinstance(call, ast.Call) and ast.unparse(call.func) == "df.filter"
        (inner,) = call.args
        assert isinstance(inner, ast.Call) and ast.unparse(inner.func) == "F.expr"
        (literal,) = inner.args
        condition = ast.literal_eval(literal)
        assert isinstance(condition, str) and condition and not condition.startswith("Column<")
    except (SyntaxError, ValueError, AssertionError):
        raise EvaluationError(
            f"GX gave no Spark SQL for the failing rows ({query[:200]!r}); "
            "no result of this audit can be trusted, so none is given"
        ) from None
    return condition


def failing_rows(spark: Any, outcome: RuleOutcome, target: Path) -> Path:
    """Write the rows of the rule's fact table GX found failing to `target` (Parquet)."""
    from pyspark.sql import functions as F

    assert outcome.unexpected_index_query is not None
    condition = condition_of(outcome.unexpected_index_query)
    rows = spark.table(outcome.rule.table).filter(F.expr(condition))
    rows.write.mode("overwrite").parquet(str(target))
    return target
