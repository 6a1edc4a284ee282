"""The command line: a thin shell over the library. Parses options, calls it, maps errors to
exit statuses (0 no blocking finding, 1 blocking findings, 2 bad input or usage)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import AuditorError
from .privacy import mask_text, parse_mask

UNTOUCHED = "no output was written; an earlier OUT, if any, is untouched"


class AuditorGroup(click.Group):
    """Prints AuditorError as one line and exits with its status; usage errors exit 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            click.echo(f"error: {mask_text(str(exc))}", err=True)
            if ctx.invoked_subcommand == "audit":
                click.echo(UNTOUCHED, err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted: no output was written; any earlier OUT is untouched", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # NOTE: last resort; every known failure is an AuditorError
            message = mask_text(f"{type(exc).__name__}: {exc}")
            click.echo(
                f"internal error: {message}; no output was written (please report)", err=True
            )
            sys.exit(2)


@click.group(cls=AuditorGroup)
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit online vocational-training platform exports against subsidy rules."""


@cli.command()
@click.argument("export_dir", type=str)
@click.option(
    "--policy",
    "policy_name",
    required=True,
    help="A shipped policy (see `auditor policies`) or a TOML profile file.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder to write; replaced as a whole only when the audit completes.",
)
@click.option(
    "--mapping",
    help="Column mapping: a shipped name or a TOML file "
    "(default: EXPORT_DIR/mapping.toml when present).",
)
@click.option(
    "--holidays",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="CSV of working days (date,is_workday) for years the official calendar lacks.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Audit date: times after it are BAD_TIMESTAMP (default: today).",
)
@click.option(
    "--id-mask",
    default="6*4",
    show_default=True,
    callback=lambda ctx, param, value: _check_mask(value),
    help="How reports mask ID numbers: leading*trailing characters kept.",
)
@click.option("--no-reports", is_flag=True, help="Write only the working papers, no HTML.")
@click.option(
    "--templates",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Folder of Jinja templates that override the shipped ones by name.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Any rejected row is an error (exit 2) instead of a BAD_ROW finding.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Replace person IDs in the working papers by a keyed pseudonym (HMAC-SHA256) "
    "and keep no audit.duckdb; the key comes from --redact-key-file or AUDITOR_REDACT_KEY.",
)
@click.option(
    "--redact-key-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="File whose bytes are the pseudonym key (keep it: the same key gives the same "
    "pseudonyms, so findings of two runs can be joined).",
)
@click.option(
    "--adapter",
    help="Derive activity tables from raw logs: a shipped adapter (see `auditor adapters`) "
    "or a folder holding adapter.toml (default: mapping.toml's [adapter] name).",
)
@click.option(
    "--adapter-setting",
    "adapter_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override one of the adapter's settings (repeatable), e.g. gap_seconds=900.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Where the facts, rules and subsidy run. spark needs `make setup-spark` (docs/engines.md).",
)
@click.option(
    "--spark-master",
    default="local[2]",
    show_default=True,
    help="--engine spark: local[N], a cluster's spark://HOST:PORT, yarn or k8s://URL, "
    "or a Spark Connect server's sc://HOST:PORT.",
)
@click.option(
    "--spark-conf",
    "spark_conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="--engine spark: a Spark setting (repeatable), e.g. spark.driver.memory=8g.",
)
@click.option("--quiet", is_flag=True, help="No progress lines.")
def audit(
    export_dir: str,
    policy_name: str,
    out: Path,
    mapping: str | None,
    holidays: Path | None,
    as_of: dt.datetime | None,
    id_mask: str,
    no_reports: bool,
    templates: Path | None,
    strict: bool,
    redact: bool,
    redact_key_file: Path | None,
    adapter: str | None,
    adapter_settings: tuple[str, ...],
    engine: str,
    spark_master: str,
    spark_conf: tuple[str, ...],
    quiet: bool,
) -> None:
    """Audit EXPORT_DIR against a policy and write findings, subsidy and reports to OUT.

    EXPORT_DIR is a folder holding one file per table (TABLE.csv, .csv.gz, .parquet, .jsonl,
    .xlsx) or a folder of Parquet files per table (TABLE/ or TABLE.parquet/, as Spark writes
    them, flat or in partition folders such as day=2022-03-01/). With --engine spark it may also be a lake path Spark reads (hdfs://, s3a://, gs://,
    abfss://, file://...; a folder of Parquet files per table): Spark copies the tables to the
    run's work folder and ingest reads them there (docs/engines.md).

    Exit status: 0 no blocking finding, 1 blocking findings, 2 bad input or usage.

    Example:

    \b
        auditor audit sample_exports --policy shanghai-2022 --out out
        auditor audit EXPORT --policy shanghai-2022 --out out --adapter heartbeat
        auditor audit hdfs://nn/exports/2023 --policy shanghai-2022 --out out --engine spark
    """
    from .pipeline import AuditOptions
    from .pipeline import audit as run_audit

    def progress(step: str) -> None:
        if not quiet:
            click.echo(f"… {mask_text(step)}", err=True)

    key = _redact_key(redact, redact_key_file)
    options = AuditOptions(
        mapping=mapping,
        holidays=holidays,
        as_of=as_of.date() if as_of else None,
        id_mask=id_mask,
        reports=not no_reports,
        templates=templates,
        strict=strict,
        redact_key=key,
        adapter=adapter,
        adapter_settings=adapter_settings,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
    )
    run = run_audit(export_dir, policy_name, out, options, progress)
    c = run.counts
    claims, amount = run.claim_words
    click.echo(
        f"{c['claims']} {claims}, {c['claims.payable']} payable; "
        f"{amount} {c['yuan.claimed']} yuan, verified {c['yuan.verified']} yuan; "
        f"findings: {c['findings.block']} block, {c['findings.review']} review, "
        f"{c['findings.info']} info → {out}"
    )
    sys.exit(run.exit_code)


def _check_mask(value: str) -> str:
    try:
        parse_mask(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _redact_key(redact: bool, key_file: Path | None) -> bytes | None:
    if not redact:
        if key_file:
            raise click.UsageError("--redact-key-file goes with --redact")
        return None
    key = (
        key_file.read_bytes().strip()
        if key_file
        else os.environ.get("AUDITOR_REDACT_KEY", "").encode()
    )
    if len(key) < 16:
        raise click.UsageError(
            "--redact needs a key of at least 16 bytes: --redact-key-file FILE or AUDITOR_REDACT_KEY"
        )
    return key


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
def verify(out: Path) -> None:
    """Say whether the inputs of the audit in OUT have changed since it ran.

    Recomputes the SHA-256 of every input file named in OUT/manifest.json. Exit status 0 when
    all are unchanged, 1 when any changed or is missing, 2 when OUT is not an audit.

    Example:

    \b
        auditor verify out/sample
    """
    from .verify import verify_inputs

    checks = verify_inputs(out)
    for check in checks:
        click.echo(f"{check.status}\t{check.path}")
    bad = [c for c in checks if c.status != "same"]
    click.echo(f"{len(checks) - len(bad)} of {len(checks)} inputs unchanged")
    sys.exit(1 if bad else 0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def policies(as_json: bool) -> None:
    """List the shipped policy profiles.

    Example:

    \b
        auditor policies
    """
    from .policy import list_policies

    found = list_policies()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": p.id,
                        "programme": p.programme,
                        "title": p.title,
                        "parameters": p.parameters,
                        "requires": p.requires,
                    }
                    for p in found
                ],
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return
    for p in found:
        params = ", ".join(f"{k}={v}" for k, v in p.parameters.items() if v is not None)
        click.echo(f"{p.id}\t{p.title}\t{params}")


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def adapters(name: str | None, as_json: bool) -> None:
    """List the shipped adapters, or show one (NAME, or a folder) with its docs and settings.

    An adapter derives activity tables (sign-ins, study sessions, Q&A, exams) from a
    platform's raw logs; `auditor audit --adapter NAME` uses it (docs/adapters.md).

    Example:

    \b
        auditor adapters
        auditor adapters heartbeat
    """
    from .adapters import describe_adapter, list_adapters, resolve_adapter

    chosen = [resolve_adapter(name)] if name else list_adapters()
    if as_json:
        described = [describe_adapter(a) for a in chosen]
        click.echo(json.dumps(described[0] if name else described, ensure_ascii=False, indent=2))
        return
    if not name:
        for a in chosen:
            inputs = ", ".join(i.name for i in a.inputs)
            click.echo(f"{a.name}\t{a.title}\tproduces: {', '.join(a.produces)}\tinputs: {inputs}")
        return
    a = chosen[0]
    click.echo(f"{a.name}: {a.title}\n\n{a.description}\n")
    click.echo(f"produces: {', '.join(a.produces)}\n\nsettings:")
    for s in a.settings.values():
        adds = f" (true: also produces {', '.join(s.adds)})" if s.adds else ""
        click.echo(f"  {s.name} = {_literal(s.default)}  [{s.type_name}] {s.help}{adds}")
    for i in a.inputs:
        need = "required" if i.table.required else "optional"
        click.echo(f"\ninput {i.name} ({need}): {i.table.help}")
        for c in i.table.columns:
            path = f" at {i.json_paths[c.name]}" if c.name in i.json_paths else ""
            star = " *" if c.required else ""
            click.echo(f"  {c.name}{star}  {c.kind}{path}  {c.help}")


def _literal(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


@cli.command()
@click.option("--policy", "policy_name", help="Show only the rules this policy applies.")
@click.option("--gx-json", is_flag=True, help="Print the Great Expectations suites as JSON.")
def rules(policy_name: str | None, gx_json: bool) -> None:
    """List the rules (every programme's, or a policy's): ID, severity, fact table, summary.

    Example:

    \b
        auditor rules --policy yingkou-2020
        auditor rules --policy shanghai-2022 --gx-json
    """
    from .policy import load_policy
    from .rules import all_rules, rules_for

    chosen = rules_for(load_policy(policy_name)) if policy_name else all_rules()
    if gx_json:
        from .expectations import suites_as_json

        click.echo(json.dumps(suites_as_json(chosen), ensure_ascii=False, indent=2, default=str))
        return
    for r in chosen:
        click.echo(f"{r.id}\t{r.severity}\t{r.table}\t{r.summary}")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--size", "size", type=int, required=True, help="Claims to draw (N).")
@click.option("--seed", type=int, required=True, help="Seed of the random draw: keep it.")
@click.option(
    "--unflagged-share",
    type=click.FloatRange(0, 1),
    help="Share of N drawn at random from unflagged payable claims (default: "
    "checks/sampling.toml, a fifth).",
)
def sample(out: Path, size: int, seed: int, unflagged_share: float | None) -> None:
    """Draw the call-back sample from the audit in OUT into OUT/sample/.

    Writes callback_sample.csv and .xlsx: flagged claims drawn with probability rising with
    their enterprise's risk, plus a simple random part of unflagged payable claims, each row
    with its inclusion probability, the questions to ask and empty answer columns. The same
    OUT, size and seed give the same files byte for byte. Method: docs/sampling.md.

    Example:

    \b
        auditor sample out/sample --size 200 --seed 20230630
    """
    from .sampling import FLAGGED, RANDOM, write_sample

    if seed < 0:
        raise click.BadParameter("the seed must be 0 or more", param_hint="--seed")
    path, design = write_sample(out, size, seed, unflagged_share)
    click.echo(
        f"{design.sample[FLAGGED]} of {design.frame[FLAGGED]} flagged claims "
        f"({design.certain} with certainty), {design.sample[RANDOM]} of "
        f"{design.frame[RANDOM]} unflagged payable claims → {path} (and .xlsx)"
    )


@cli.command()
@click.argument("filled", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def estimate(filled: Path, as_json: bool) -> None:
    """Estimate, for the whole audit, the claims and yuan of training that was not genuine.

    Reads the filled call-back sample (reached and trained_genuinely answered yes or no) and
    prints each total with its 95 % confidence interval (Horvitz–Thompson with the inclusion
    probabilities; method in docs/sampling.md).

    Example:

    \b
        auditor estimate out/sample/sample/callback_sample.xlsx
    """
    from dataclasses import asdict

    from .estimate import estimate as run_estimate
    from .estimate import read_filled

    answers, frame = read_filled(filled)
    result = run_estimate(answers, frame)
    if as_json:
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, sort_keys=True))
        return
    for stratum, drawn in result.sampled.items():
        click.echo(
            f"{stratum}: {drawn} drawn, {result.reached[stratum]} reached, "
            f"{result.not_genuine[stratum]} not trained genuinely"
        )
    c, y = result.claims, result.yuan
    click.echo(
        f"claims not genuine: {c.estimate:,.1f} (95% CI {c.low:,.1f} – {c.high:,.1f}; "
        f"SE {c.standard_error:,.1f})"
    )
    click.echo(
        f"yuan paid for them: {y.estimate:,.2f} (95% CI {y.low:,.2f} – {y.high:,.2f}; "
        f"SE {y.standard_error:,.2f})"
    )


@cli.command("check-notice")
@click.argument("notice", type=click.Path(path_type=Path))
@click.option(
    "--against",
    "audit_out",
    type=click.Path(path_type=Path),
    required=True,
    help="The audit's output folder (OUT of `auditor audit`).",
)
@click.option(
    "--out",
    "problems_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the problems CSV to this file instead of stdout.",
)
def check_notice(notice: Path, audit_out: Path, problems_file: Path | None) -> None:
    """Check a published public notice (公示, CSV or XLSX) against the audit in OUT.

    Flags whole ID numbers, ID masks that differ within the notice, and IDs or names that fit
    no payable claim of the audit (every kind: docs/public-notice.md). The problems are
    written as CSV (line, column, kind, value, detail; values masked) to stdout or --out; a
    summary goes to stderr. Exit status: 0 no problem, 1 problems, 2 unreadable notice or OUT
    not an audit.

    Example:

    \b
        auditor check-notice 公示名单.xlsx --against out/sample --out problems.csv
    """
    from .errors import NoticeError
    from .notice import check_notice as run_check
    from .notice import write_problems

    result = run_check(notice, audit_out)
    if problems_file:
        try:
            with problems_file.open("w", encoding="utf-8", newline="") as fh:
                write_problems(result.problems, fh)
        except OSError as exc:
            raise NoticeError(f"cannot write {problems_file}: {exc.strerror}") from None
    else:
        write_problems(result.problems, sys.stdout)
    counts = ", ".join(f"{n} {kind}" for kind, n in result.counts().items())
    click.echo(
        f"{result.rows} notice rows checked against {audit_out} "
        f"({result.payable_claims} payable claims): "
        + (f"{len(result.problems)} problems: {counts}" if result.problems else "no problems"),
        err=True,
    )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    sys.exit(1 if result.problems else 0)
