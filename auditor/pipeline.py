"""audit(): the ordered steps from an export directory to findings, subsidy and reports.

The run writes into a temporary folder beside OUT and moves it into place only when complete,
so a failed or interrupted run leaves any earlier OUT as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from . import __version__, facts, gxcompat, sqlfuncs
from .adapters import Adapter, AdapterRun, resolve_adapter, run_adapter
from .contract import Contract, load_contract
from .engines import spark_lake
from .errors import AuditorError
from .expectations import RuleOutcome
from .findings import findings_ddl
from .ingest import IngestResult, first_reject, ingest
from .mapping import Mapping, resolve_mapping
from .papers import sha256_of, write_manifest, write_papers
from .policy import Policy, load_policy
from .privacy import parse_mask
from .risk import compute_risk, load_formula, risk_file
from .rules import Rule, rules_for
from .runners import (
    DEFAULT_MASTER,
    DuckDBRunner,
    Runner,
    SparkRunner,
    check_engine,
    shown_conf,
    shown_master,
)
from .workdays import load_calendar, nth_workday_after, official_years

Progress = Callable[[str], None]
DB_NAME = "audit.duckdb"


@dataclass
class AuditRun:
    """What an audit did: exit status, seconds per phase, counts, GX outcomes."""

    out: Path
    exit_code: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int | float] = field(default_factory=dict)  # yuan.* may have fen
    outcomes: list[RuleOutcome] = field(default_factory=list)
    ingested: IngestResult | None = None
    as_of: dt.date | None = None
    fact_seconds: dict[str, float] = field(default_factory=dict)  # inside the "facts" phase
    adapter: AdapterRun | None = None
    # what the programme's claims are and the word for their amount ("claims", "claimed";
    # vouchers: "payments", "paid")
    claim_words: tuple[str, str] = ("claims", "claimed")
    lake: dict[str, spark_lake.LakeTable] = field(default_factory=dict)  # a lake export's tables

    @contextmanager
    def phase(self, name: str, progress: Progress | None, detail: str = "") -> Iterator[None]:
        """Time one phase (seconds add up over its repeats) and announce it."""
        if progress:
            progress(f"{name}: {detail}" if detail else name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0) + time.perf_counter() - start, 3)


@dataclass(frozen=True)
class AuditOptions:
    """Settings of one audit beyond its three arguments."""

    mapping: str | None = None
    holidays: Path | None = None
    as_of: dt.date | None = None
    id_mask: str = "6*4"
    reports: bool = True
    strict: bool = False
    redact_key: bytes | None = None  # pseudonymise person IDs in the working papers
    templates: Path | None = None
    memory_limit: str = "3GB"
    adapter: str | None = None  # a shipped adapter's name or a folder (else mapping's [adapter])
    adapter_settings: tuple[str, ...] = ()  # NAME=VALUE, over mapping's [adapter.settings]
    engine: str = "duckdb"  # where facts, rules and subsidy run: duckdb or spark
    spark_master: str = DEFAULT_MASTER  # --engine spark: local[N], spark://, yarn, k8s://, sc://
    spark_conf: tuple[str, ...] = ()  # --engine spark: KEY=VALUE Spark settings


def audit(
    export_dir: Path | str,
    policy: Policy | str,
    out: Path | str,
    options: AuditOptions | None = None,
    progress: Progress | None = None,
) -> AuditRun:
    """Audit `export_dir` against `policy`, writing everything to `out`.

    `export_dir`: a local folder, or (`--engine spark`) a lake URI given as a str
    (auditor/engines/spark_lake.py)."""
    lake = spark_lake.lake_uri(export_dir)
    # NOTE: for a lake, export_dir becomes the staging folder in _run; "." is never read
    export_dir, out = Path(export_dir if lake is None else "."), Path(out)
    options = options or AuditOptions()
    try:
        parse_mask(options.id_mask)
    except ValueError as exc:  # checked before any work: the papers and reports need it
        raise AuditorError(str(exc)) from None
    check_engine(options.engine, options.spark_master, options.spark_conf)  # before any work
    policy = policy if isinstance(policy, Policy) else load_policy(policy)
    contract = load_contract(policy.programme)
    rules = rules_for(policy)
    load_formula()  # NOTE: a malformed checks/risk.toml stops the audit before any work
    queries = facts.load_fact_queries(programme=policy.programme)
    # NOTE: a lake export's mapping is --mapping's only (a lake's mapping.toml is not read)
    mapping = (
        resolve_mapping(export_dir, options.mapping)
        if lake is None or options.mapping
        else Mapping()
    )
    adapter, settings = _choose_adapter(mapping, options)
    if lake is not None:
        json_inputs = tuple(i.name for i in adapter.inputs if i.json_paths) if adapter else ()
        spark_lake.check_lake(lake, options.engine, adapter.name if adapter else None, json_inputs)
    mapping.check_inputs(
        adapter.input_tables if adapter else (), adapter.name if adapter else None, contract
    )
    _check_out(export_dir if lake is None else None, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    run = AuditRun(
        out=out, claim_words=(contract.claim_table, contract.amount_column.split("_")[0])
    )
    started = time.perf_counter()
    try:
        chosen = (adapter, settings) if adapter else None
        if options.engine == "duckdb":  # GX's import overlaps ingest (Spark imports pyspark,
            gxcompat.prefetch()  # which GX imports too: no two threads inside one package)
        _run(
            export_dir, contract, policy, rules, queries, mapping, chosen, work, run, options,
            progress, lake,
        )  # fmt: skip
        manifest = _manifest(export_dir, policy, rules, run, options, lake)
        manifest["seconds"] = round(time.perf_counter() - started, 3)
        write_manifest(work, manifest)
        _replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return run


def _run(
    export_dir: Path,
    contract: Contract,
    policy: Policy,
    rules: list[Rule],
    queries: list[facts.FactQuery],
    mapping: Mapping,
    chosen: tuple[Adapter, dict[str, Any]] | None,
    work: Path,
    run: AuditRun,
    options: AuditOptions,
    progress: Progress | None,
    lake: str | None = None,
) -> None:
    spill = work / ".spill"
    spill.mkdir()
    db_path = work / DB_NAME
    con = gxcompat.connect(db_path)
    runner: Runner | None = None
    lake_session: Any = None  # a Spark session the lake's staging started (stopped here)
    try:
        # NOTE: audits run where there is no network: DuckDB must never fetch an extension.
        # What the facts use (json, icu for time zones, parquet) is built into the wheel.
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET memory_limit = ?", [options.memory_limit])
        con.execute("SET temp_directory = ?", [str(spill)])
        con.execute("SET TimeZone = 'Asia/Shanghai'")
        con.execute("SET enable_progress_bar = false")  # our own progress lines, on stderr
        sqlfuncs.register(con)
        facts.load_dialect(con)
        with run.phase("ingest", progress):
            supplied = frozenset(chosen[0].outputs(chosen[1])) if chosen else frozenset()
            if lake is not None:  # Spark stages the lake's tables; ingest reads them below
                inputs = (
                    tuple((i.name, i.table.required) for i in chosen[0].inputs) if chosen else ()
                )
                wanted = spark_lake.wanted_tables(contract, supplied, inputs)
                lake_session, export_dir = _stage_lake(
                    lake, wanted, mapping, work, run, options, progress
                )
            ingested = ingest(con, export_dir, mapping, spill, progress, supplied, contract)
            if chosen:
                run.adapter = run_adapter(
                    con, chosen[0], chosen[1], export_dir, mapping, spill, ingested, progress
                )
            if lake is not None:
                spark_lake.check_counts(run.lake, ingested)
                shutil.rmtree(work / LAKE_STAGE)  # read: the audit database holds the tables
        run.counts.update({f"rows.{k}": v for k, v in ingested.rows.items()})
        run.ingested = ingested
        if options.strict and (error := first_reject(con)):
            raise error
        as_of = run.as_of = options.as_of or dt.date.today()
        with run.phase("facts", progress, "policy, calendar"):
            facts.load_policy_tables(con, policy, as_of)
            facts.load_reference_tables(con)
            _load_calendar(con, policy, as_of, options)
        con.execute(findings_ddl(contract.keys))
        con.execute("CREATE OR REPLACE TABLE prior_blocks (project_id VARCHAR, person_id VARCHAR)")
        with run.phase("engine", progress, options.engine):
            runner = _runner(con, db_path, work, contract, policy, options, progress)
        later = facts.depends_on(queries, "prior_blocks")
        for round_queries in (
            [q for q in queries if q.name not in later],
            [q for q in queries if q.name in later],
        ):
            with run.phase("facts", progress, ", ".join(q.name for q in round_queries)):
                run.fact_seconds.update(runner.materialize(round_queries))
            for q in round_queries:
                table_rules = [r for r in rules if r.table == q.name]
                if not table_rules:
                    continue
                with run.phase("expectations", progress, q.name):
                    outcomes = runner.validate(q, table_rules)
                run.outcomes.extend(outcomes)
                with run.phase("findings", progress, q.name):
                    for outcome in outcomes:
                        runner.write_findings(outcome, q)
            if later:  # NOTE: online-subsidy's keys: only its facts read prior_blocks
                runner.prior_blocks()
        with run.phase("subsidy", progress):
            runner.subsidy()
            runner.finish()
            runner.close()  # NOTE: a Spark JVM's memory is not held through papers and reports
            runner = None
            if lake_session is not None:
                lake_session.stop()
                lake_session = None
            _write_catalogue(con, rules)
            if "risk" in contract.extras:
                compute_risk(con)
        with run.phase("papers", progress):
            if options.redact_key:
                sqlfuncs.register_pseudonym(con, options.redact_key)
            write_papers(
                con,
                work,
                redact=options.redact_key is not None,
                id_mask=parse_mask(options.id_mask),
                as_of=as_of,
                contract=contract,
            )
        _count(con, run, contract)
        if options.reports:
            with run.phase("reports", progress):
                from .report import renderer

                run.counts["pages"] = renderer(contract.report)(
                    con,
                    work,
                    policy,
                    id_mask=options.id_mask,
                    templates_dir=options.templates,
                    progress=(lambda done, total: progress(f"reports {done}/{total}"))
                    if progress
                    else None,
                )
        run.exit_code = 1 if run.counts["findings.block"] else 0
    finally:
        if runner is not None:
            runner.close()
        if lake_session is not None:
            lake_session.stop()
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        shutil.rmtree(work / LAKE_STAGE, ignore_errors=True)
    if options.redact_key:  # the database holds every ID whole: a redacted audit does not keep it
        for leftover in work.glob(f"{DB_NAME}*"):
            leftover.unlink()


LAKE_STAGE = ".lake"  # a lake export's tables, staged by Spark for ingest; removed once read


def _stage_lake(
    uri: str,
    wanted: list[tuple[str, bool]],
    mapping: Mapping,
    work: Path,
    run: AuditRun,
    options: AuditOptions,
    progress: Progress | None,
) -> tuple[Any, Path]:
    """Stage the lake's tables into work/.lake with Spark (the runner's session: the same
    master, settings and local folder); the session if it was started here, and the folder."""
    conf = check_engine(options.engine, options.spark_master, options.spark_conf)
    from .engines import spark as spark_engine

    started = spark_engine.active_session() is None

    spark = spark_engine.session(options.spark_master, local_dir=work / ".spark" / "local", **conf)
    try:
        run.lake = spark_lake.stage(
            spark, uri, wanted, mapping, work / LAKE_STAGE, options.mapping is not None, progress
        )
    except BaseException:
        if started:
            spark.stop()
        raise
    return (spark if started else None), work / LAKE_STAGE


def _runner(
    con: duckdb.DuckDBPyConnection,
    db_path: Path,
    work: Path,
    contract: Contract,
    policy: Policy,
    options: AuditOptions,
    progress: Progress | None,
) -> Runner:
    if options.engine == "spark":
        conf = check_engine(options.engine, options.spark_master, options.spark_conf)
        return SparkRunner(
            con, work / ".spark", contract, policy, options.spark_master, conf, progress
        )
    return DuckDBRunner(con, db_path, contract, policy)


def _choose_adapter(
    mapping: Mapping, options: AuditOptions
) -> tuple[Adapter | None, dict[str, Any]]:
    """--adapter, else mapping.toml's [adapter] name; its settings: defaults < mapping < CLI."""
    name = options.adapter or mapping.adapter
    if name is None:
        if options.adapter_settings or mapping.adapter_settings:
            raise AuditorError("adapter settings are given, but no adapter (--adapter NAME)")
        return None, {}
    adapter = resolve_adapter(name)
    return adapter, adapter.setting_values(mapping.adapter_settings, options.adapter_settings)


def _load_calendar(
    con: duckdb.DuckDBPyConnection, policy: Policy, as_of: dt.date, options: AuditOptions
) -> None:
    con.execute("CREATE OR REPLACE TABLE calendar (day DATE, is_workday BOOLEAN)")
    workdays = policy.parameters.get("import_deadline_workdays")
    if workdays is None:
        return
    span = con.execute(
        "SELECT min(d), max(d) FROM ("
        " SELECT CAST(min(signed_in_at) AS DATE) d FROM signins UNION ALL"
        " SELECT CAST(max(signed_in_at) AS DATE) FROM signins UNION ALL"
        " SELECT CAST(min(started_at) AS DATE) FROM study_sessions UNION ALL"
        " SELECT CAST(max(ended_at) AS DATE) FROM study_sessions UNION ALL"
        " SELECT CAST(min(submitted_at) AS DATE) FROM exams UNION ALL"
        " SELECT CAST(max(submitted_at) AS DATE) FROM exams)"
    ).fetchall()[0]
    if not span or span[0] is None:
        return
    # NOTE: only days after a training's last day matter. A stray time before the first year the
    # calendar knows (a typo such as 1922) must not stop the audit: such a claim has no import
    # deadline, and BEFORE_APPROVAL or BAD_TIMESTAMP report it. Times after as_of are bad.
    first = max(span[0], dt.date(official_years()[0], 1, 1))
    last = min(span[1], as_of)
    if first > last:
        return
    # The deadline of the latest training is the furthest day needed; asking for it raises
    # CalendarError only when that day is really beyond the calendars given.
    end = nth_workday_after(
        last, workdays, holidays_file=options.holidays, overrides=policy.workday_overrides
    )
    load_calendar(
        con,
        first,
        end,
        holidays_file=options.holidays,
        overrides=policy.workday_overrides,
    )


def _write_catalogue(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE rule_catalogue (rule_id VARCHAR, severity VARCHAR, "
        "summary VARCHAR, category VARCHAR, questions VARCHAR[])"
    )
    con.executemany(
        "INSERT INTO rule_catalogue VALUES (?, ?, ?, ?, ?)",
        [[r.id, r.severity, r.summary, r.category, list(r.questions)] for r in rules],
    )


def _count(con: duckdb.DuckDBPyConnection, run: AuditRun, contract: Contract) -> None:
    """The run's counts. For every programme `claims` are subsidy rows, `enterprises` the
    organisations they are of (voucher programme: payments, institutions)."""
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE severity = 'block'), "
        "count(*) FILTER (WHERE severity = 'review'), count(*) FILTER (WHERE severity = 'info') "
        "FROM findings"
    ).fetchall()[0]
    sub = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE payable), count(DISTINCT {contract.keys[0]}), "
        f"coalesce(sum({contract.amount_column}), 0), coalesce(sum(verified_amount), 0) "
        "FROM subsidy"
    ).fetchall()[0]
    assert row is not None and sub is not None
    run.counts.update(
        {
            "findings": row[0],
            "findings.block": row[1],
            "findings.review": row[2],
            "findings.info": row[3],
            "claims": sub[0],
            "claims.payable": sub[1],
            "enterprises": sub[2],
            "yuan.claimed": _yuan(sub[3]),
            "yuan.verified": _yuan(sub[4]),
        }
    )


def _yuan(amount: Any) -> int | float:
    """A sum of yuan for counts: whole yuan as an int (online amounts), else to the fen."""
    return int(amount) if amount == int(amount) else round(float(amount), 2)


def _manifest(
    export_dir: Path,
    policy: Policy,
    rules: list[Rule],
    run: AuditRun,
    options: AuditOptions,
    lake: str | None = None,
) -> dict[str, Any]:
    ingested = run.ingested
    assert ingested is not None
    inputs: dict[str, dict[str, Any] | None] = {}
    for table, src in sorted(ingested.sources.items()):
        if src is None:
            inputs[table] = None
            continue
        staged = run.lake.get(table)
        inputs[table] = {
            "file": src.path.name,
            # a lake table is not hashed (that would read it all on the driver): its URI
            **({"lake": staged.uri, "sha256": None} if staged else {"sha256": sha256_of(src.path)}),
            "format": src.format,
            "encoding": src.encoding,
            "rows_read": ingested.rows_read[table],
            "rows_accepted": ingested.rows[table],
            "rows_rejected": ingested.rows_rejected[table],
            "ignored_headers": ingested.ignored_headers.get(table, []),
        }
    local_mapping = export_dir / "mapping.toml" if lake is None else None
    extra = [p for p in (local_mapping, options.holidays) if p and p.is_file()]
    adapter = None
    if run.adapter:
        files = [
            run.adapter.adapter.file,
            *(run.adapter.adapter.folder / f for f in run.adapter.adapter.sql),
        ]
        adapter = {
            "name": run.adapter.adapter.name,
            "settings": run.adapter.settings,
            "installed": run.adapter.installed,  # contract table -> where its rows went
            "unmapped_events": run.adapter.unmapped_events,
            "files": {p.name: sha256_of(p) for p in files},
        }
    return {
        "tool": {
            "name": "auditor",
            "version": __version__,
            "duckdb": duckdb.__version__,
            "great_expectations": gxcompat.gx_version(),
        },
        "engine": {
            "name": options.engine,
            "memory_limit": options.memory_limit,
            "as_of": str(run.as_of),
            **(
                {
                    "spark_master": shown_master(options.spark_master),
                    "spark_conf": shown_conf(options.spark_conf),
                }
                if options.engine == "spark"
                else {}
            ),
        },
        "id_mask": options.id_mask,  # how reports and public_notice mask ID numbers
        "policy": {
            "id": policy.id,
            "programme": policy.programme,
            "title": policy.title,
            "sha256": sha256_of(policy.path) if policy.path else None,
            "parameters": policy.parameters,
            "requires": policy.requires,
        },
        "export_dir": lake or str(export_dir.resolve()),
        "inputs": inputs,
        "adapter": adapter,
        "other_inputs": {str(p.resolve()): sha256_of(p) for p in extra},
        "counts": run.counts,
        "timings": run.timings,
        "fact_seconds": run.fact_seconds,
        "validation": {
            "rules_evaluated": len(run.outcomes),
            "rules_failed": sorted(o.rule.id for o in run.outcomes if not o.success),
            "results": [
                {
                    "rule_id": o.rule.id,
                    "table": o.rule.table,
                    "expectation": o.rule.expectation_type,
                    "success": o.success,
                    "element_count": o.element_count,
                    "unexpected_count": o.unexpected_count,
                }
                for o in sorted(run.outcomes, key=lambda o: o.rule.id)
            ],
        },
        "rules": {r.id: r.severity for r in rules},
        "risk_formula": {"file": risk_file().name, "sha256": sha256_of(risk_file())},
    }


def _check_out(export_dir: Path | None, out: Path) -> None:
    """OUT is replaced whole, so it must not hold the export (a local one) or anything but an
    earlier audit."""
    out_abs, export_abs = out.resolve(), export_dir.resolve() if export_dir else None
    if export_abs and (out_abs == export_abs or out_abs in export_abs.parents):
        raise AuditorError(f"--out {out} would replace the export itself; choose another folder")
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").is_file())
    ):
        raise AuditorError(
            f"--out {out} exists and is not an earlier audit's output (no manifest.json); "
            "choose a new or empty folder, so that nothing in it is replaced"
        )


def _replace(work: Path, out: Path) -> None:
    """Move the finished run into place; an earlier OUT is removed only after that succeeds."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    work.rename(out)
    shutil.rmtree(old, ignore_errors=True)
