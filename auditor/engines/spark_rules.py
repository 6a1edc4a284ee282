"""The rules on Spark: the same GX suites, validated by GX's Spark datasource.

GX decides pass/fail and counts, as on DuckDB. `failing_rows` writes the rows GX found failing
(every column of the fact) to Parquet, by one of two ways, both GX's own word:
- a classic session: GX's `unexpected_index_query`, `df.filter(F.expr('<Spark SQL condition>'))`
  with the condition rendered by Catalyst; exactly that filter runs on the fact table, and
  nothing but the count reaches the driver;
- Spark Connect: the client has no Catalyst and GX renders the condition as a display string
  that is not SQL, so GX is asked for its `unexpected_index_list` (the failing rows' grain and
  column values, on the driver: as many as the findings) and the fact rows with those values
  are selected on Spark (a null-safe semi join: a column-map rule's verdict is a function of
  the row's column value, so a row with the same grain and value fails alike).
Either way the rows written must be as many as GX counted, or the audit stops. Only those rows
leave Spark: the findings' text is written from them by the same code as on DuckDB
(auditor/findings.py), so a finding reads the same whichever engine decided it.
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

    def __init__(self, spark: Any, by_index: bool = False) -> None:
        self._spark = spark
        self.by_index = by_index  # Spark Connect: the failing rows by GX's index list
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
        result_format: dict[str, Any] = {
            **RESULT_FORMAT,
            "unexpected_index_column_names": list(grain),
        }
        if self.by_index:
            result_format["result_format"] = "COMPLETE"
        result = batch.validate(
            build_suite(table, rules),
            expectation_parameters=policy.expectation_parameters(),
            result_format=result_format,
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


def failing_rows(spark: Any, outcome: RuleOutcome, target: Path, by_index: bool = False) -> Path:
    """Write the rows of the rule's fact table GX found failing to `target` (Parquet);
    EvaluationError when they are not as many as GX counted."""
    from pyspark.sql import functions as F

    table = spark.table(outcome.rule.table)
    if by_index:
        rows = _rows_by_index(spark, table, outcome)
    else:
        assert outcome.unexpected_index_query is not None
        rows = table.filter(F.expr(condition_of(outcome.unexpected_index_query)))
    rows.write.mode("overwrite").parquet(str(target))
    written = spark.read.parquet(str(target)).count()
    if written != outcome.unexpected_count:
        raise EvaluationError(
            f"rule {outcome.rule.id}: GX counted {outcome.unexpected_count} failing rows of "
            f"{outcome.rule.table}, but {written} were selected; no result of this audit can be "
            "trusted, so none is given"
        )
    return target


def _rows_by_index(spark: Any, table: Any, outcome: RuleOutcome) -> Any:
    """The rows of `table` whose grain and rule column equal an entry of GX's index list."""
    from pyspark.sql.types import StructType

    entries = outcome.unexpected_index_list
    if not entries:
        raise EvaluationError(
            f"rule {outcome.rule.id}: GX gave no index list of the failing rows on "
            f"{outcome.rule.table}; no result of this audit can be trusted, so none is given"
        )
    columns = list(entries[0])
    schema = StructType([table.schema[c] for c in columns])
    keys = spark.createDataFrame(list({tuple(e[c] for c in columns) for e in entries}), schema)
    on = [table[c].eqNullSafe(keys[c]) for c in columns]
    return table.join(keys, on=on, how="left_semi")
