"""The engine seam: where the facts, the rules and the subsidy run (DuckDB or Apache Spark).

Ingest, the policy and calendar tables, the findings' text, the papers and the reports are the
same code for both engines and run in DuckDB. A runner does the part that grows with the
export: materialise a round of facts, validate a fact table's rules with GX, hand the failing
rows to `write_findings`, and compute the subsidy. The Spark runner exports the tables the facts
read to Parquet, runs everything there, writes facts, failing rows and subsidy as Parquet, and
loads them into the audit database at the end, so the papers and reports are made from them
exactly as from DuckDB's own tables.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import duckdb

from . import facts
from .contract import Contract
from .engines import spark as spark_engine
from .engines.spark_rules import SparkValidator, failing_rows
from .errors import AuditorError
from .expectations import RuleOutcome, Validator
from .findings import write_findings, write_prior_blocks
from .policy import Policy
from .rules import Rule
from .subsidy import compute_subsidy, subsidy_sql

shown_master, shown_conf = spark_engine.shown_master, spark_engine.shown_conf  # the manifest's
ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[2]"
_SPARK_SETTING = re.compile(r"spark\.[\w.-]+=.*")


def check_engine(engine: str, master: str, conf: tuple[str, ...]) -> dict[str, str]:
    """Check the engine options before any work; the Spark settings as a dict."""
    if engine not in ENGINES:
        raise AuditorError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine != "spark" and master != DEFAULT_MASTER:
        raise AuditorError("--spark-master goes with --engine spark")
    if engine != "spark" and conf:
        raise AuditorError("Spark settings are given, but the engine is not spark (--engine spark)")
    bad = [c for c in conf if not _SPARK_SETTING.fullmatch(c)]
    if bad:
        raise AuditorError(f"Spark setting {bad[0]!r} is not KEY=VALUE with a spark.* key")
    if engine == "spark":
        spark_engine.check_available(master)  # pyspark, Java, the master
    return dict(item.split("=", 1) for item in conf)


class Runner(Protocol):
    def materialize(self, queries: list[facts.FactQuery]) -> dict[str, float]: ...
    def validate(self, q: facts.FactQuery, rules: list[Rule]) -> list[RuleOutcome]: ...
    def write_findings(self, outcome: RuleOutcome, q: facts.FactQuery) -> int: ...
    def prior_blocks(self) -> None: ...
    def subsidy(self) -> None: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


class DuckDBRunner:
    """Everything in the audit database; GX reads it through duckdb-engine."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, db_path: Path, contract: Contract, policy: Policy
    ) -> None:
        self.con, self.db_path, self.contract, self.policy = con, db_path, contract, policy
        self._validator: Validator | None = None

    def materialize(self, queries: list[facts.FactQuery]) -> dict[str, float]:
        seconds = facts.materialize(self.con, queries)
        self.con.execute("CHECKPOINT")  # GX's connection reads the file
        return seconds

    def validate(self, q: facts.FactQuery, rules: list[Rule]) -> list[RuleOutcome]:
        self._validator = self._validator or Validator(self.db_path)
        return self._validator.validate(q.name, rules, q.grain, self.policy)

    def write_findings(self, outcome: RuleOutcome, q: facts.FactQuery) -> int:
        return write_findings(self.con, outcome, q.grain, self.contract.keys)

    def prior_blocks(self) -> None:
        write_prior_blocks(self.con)

    def subsidy(self) -> None:
        compute_subsidy(self.con, self.contract)

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._validator is not None:
            self._validator.close()


class SparkRunner:
    """Facts, rules and subsidy on Spark, from and to Parquet under `folder`.

    The session is `master`'s (getOrCreate: a session this process already has is reused and
    left running; one started here is stopped by `close`).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        folder: Path,
        contract: Contract,
        policy: Policy,
        master: str,
        conf: dict[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.con, self.folder, self.contract, self.policy = con, folder, contract, policy
        self.programme = contract.programme
        self.progress = progress
        started_here = not spark_engine.active_session()
        self.spark = spark_engine.session(master, local_dir=folder / "local", **(conf or {}))
        self._stop = started_here
        self.inputs, self.facts, self.failing = (folder / n for n in ("inputs", "facts", "failing"))
        for path in (self.inputs, self.facts, self.failing):
            path.mkdir(parents=True, exist_ok=True)
        spark_engine.export_inputs(con, self.inputs, self.programme)
        spark_engine.register_inputs(self.spark, self.inputs, self.programme)
        self._validator = SparkValidator(self.spark, by_index=spark_engine.is_connect(master))
        self._made: list[str] = []

    def materialize(self, queries: list[facts.FactQuery]) -> dict[str, float]:
        names = {q.name for q in queries}
        self._made.extend(q.name for q in queries)
        return spark_engine.run_facts(
            self.spark, None, self.facts, self.programme, names, self.progress
        )

    def validate(self, q: facts.FactQuery, rules: list[Rule]) -> list[RuleOutcome]:
        return self._validator.validate(q.name, rules, q.grain, self.policy)

    def write_findings(self, outcome: RuleOutcome, q: facts.FactQuery) -> int:
        if outcome.success:
            return 0
        target = self.failing / f"{outcome.rule.id}.parquet"
        path = failing_rows(self.spark, outcome, target, self._validator.by_index)
        return write_findings(self.con, outcome, q.grain, self.contract.keys, rows=_parquet(path))

    def prior_blocks(self) -> None:
        write_prior_blocks(self.con)
        self._to_spark("prior_blocks")

    def subsidy(self) -> None:
        self._to_spark("findings")
        sql = subsidy_sql(self.contract)
        target = self.folder / "subsidy.parquet"
        spark_engine.write_query(
            self.spark, "subsidy", sql, facts.reads_of(sql), target, label="subsidy.sql"
        )
        self.con.execute(f"CREATE OR REPLACE TABLE subsidy AS FROM {_parquet(target)}")

    def finish(self) -> None:
        """The facts into the audit database, for the papers and reports (the runner is closed
        next: nothing after this needs Spark)."""
        for name in self._made:
            path = self.facts / f"{name}.parquet"
            self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS FROM {_parquet(path)}')

    def close(self) -> None:
        if self._stop:
            self.spark.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _to_spark(self, table: str) -> None:
        path = self.inputs / f"{table}.parquet"
        self.con.execute(f'COPY "{table}" TO {_literal(str(path))} (FORMAT parquet)')
        spark_engine.register_inputs(self.spark, self.inputs, tables=[table])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parquet(path: Path) -> str:
    """A DuckDB relation reading the Parquet file or folder Spark wrote."""
    return f"read_parquet({_literal(str(path / '*.parquet') if path.is_dir() else str(path))})"
