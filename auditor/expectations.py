"""Rules become GX expectation suites, one per fact table, validated inside DuckDB.

GX decides pass/fail; its result for a failed expectation carries `unexpected_index_query`,
which findings.py runs in DuckDB to fetch every failing row (GX's own lists are truncated).
An expectation GX could not evaluate fails the audit closed: EvaluationError, exit status 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import gxcompat
from .errors import EvaluationError, RuleError
from .policy import Policy
from .rules import Rule


@dataclass(frozen=True)
class RuleOutcome:
    """GX's verdict on one rule."""

    rule: Rule
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_index_query: str | None
    # the failing rows' grain and column values (GX's COMPLETE result format, asked for only
    # where the query cannot be used: Spark Connect)
    unexpected_index_list: list[dict[str, Any]] | None = None


def build_suite(table: str, rules: list[Rule]) -> Any:
    """The suite of one fact table: each rule file's [expectation], verbatim."""
    gx = gxcompat.gx()
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    suite = gx.ExpectationSuite(name=table)
    for rule in rules:
        config = ExpectationConfiguration(
            type=rule.expectation_type,
            kwargs=rule.expectation_kwargs,
            meta={"rule_id": rule.id, "severity": rule.severity},
        )
        suite.add_expectation(config.to_domain_obj())
        if len(suite.expectations) != len(rules[: rules.index(rule) + 1]):
            raise RuleError(
                f"rule {rule.id} repeats another rule's expectation on {table}; GX would merge them"
            )
    return suite


def suites_as_json(rules: list[Rule]) -> list[dict[str, Any]]:
    """The GX suites of these rules, one per fact table, as GX writes them."""
    gxcompat.ephemeral_context()  # GX builds suites only inside a context
    tables = sorted({r.table for r in rules})
    return [build_suite(t, [r for r in rules if r.table == t]).to_json_dict() for t in tables]


class Validator:
    """One GX context and datasource over the audit database, reused for every table."""

    def __init__(self, db_path: Path) -> None:
        gxcompat.install()
        self._context = gxcompat.ephemeral_context()
        self._source = self._context.data_sources.add_sql(
            "audit", connection_string=f"duckdb:///{db_path.resolve()}"
        )

    def close(self) -> None:
        """Release GX's connections, so the database file is closed when the audit ends.

        NOTE: the datasource and its execution engine each hold a SQLAlchemy engine.
        """
        execution_engine = getattr(self._source, "_execution_engine", None)
        engines = [
            getattr(execution_engine, "engine", None),
            getattr(self._source, "_engine", None),
        ]
        for engine in engines:
            if engine is not None:
                engine.dispose()

    def validate(
        self, table: str, rules: list[Rule], grain: tuple[str, ...], policy: Policy
    ) -> list[RuleOutcome]:
        """Run the rules of one fact table; raise EvaluationError if any could not run."""
        if not rules:
            return []
        asset = self._source.add_table_asset(table, table_name=table)
        batch = asset.add_batch_definition_whole_table(f"{table}_all").get_batch()
        result = batch.validate(
            build_suite(table, rules),
            expectation_parameters=policy.expectation_parameters(),
            result_format={**RESULT_FORMAT, "unexpected_index_column_names": list(grain)},
        )
        return outcomes_of(result, table, rules)


RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "return_unexpected_index_query": True,
    "partial_unexpected_count": 0,
}


def outcomes_of(result: Any, table: str, rules: list[Rule]) -> list[RuleOutcome]:
    """One outcome per rule from GX's validation result (either engine's); EvaluationError
    when GX could not evaluate a rule or returned no result for it."""
    by_id = {r.id: r for r in rules}
    outcomes: list[RuleOutcome] = []
    for res in result.results:
        rule = by_id[res.expectation_config.meta["rule_id"]]
        info: dict[str, Any] = res.exception_info or {}
        raised = info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("raised_exception") for v in info.values()
        )
        if raised or (not res.success and not res.result):
            message = _exception_message(info)
            raise EvaluationError(
                f"rule {rule.id} could not be evaluated on {table}.{rule.column}: {message}; "
                "no result of this audit can be trusted, so none is given"
            )
        stats = res.result
        outcomes.append(
            RuleOutcome(
                rule=rule,
                success=bool(res.success),
                element_count=int(stats.get("element_count") or 0),
                unexpected_count=int(stats.get("unexpected_count") or 0),
                unexpected_index_query=stats.get("unexpected_index_query"),
                unexpected_index_list=stats.get("unexpected_index_list"),
            )
        )
    missing = set(by_id) - {o.rule.id for o in outcomes}
    if missing:
        raise EvaluationError(f"GX returned no result for rule(s) {sorted(missing)}")
    return outcomes


def _exception_message(info: dict[str, Any]) -> str:
    for value in [info, *info.values()]:
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"]).strip().splitlines()[0]
    return "GX reported a failure without a result"
