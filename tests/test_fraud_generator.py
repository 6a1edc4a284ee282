"""The benchmark generator's --fraud option: planted enterprises, ground truth, clean elsewhere.

A generation of 300,000 sessions has 200 enterprises, 5 of them planted (the default: 1 %, at
least 5), one or two of each fraud style. Checked: byte-repeatable, the contract and the signal
checks of `--verify` pass (every planted pattern present by its definition, no signal in any
clean enterprise), the truth file names the planted, --fraud moves no clean enterprise's row,
and the auditor finds the planted enterprises' records complete (no compliance finding but the
one STUDY_AFTER_EXAM implies).
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from auditor.pipeline import AuditOptions, audit
from auditor.rules import load_rules

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))
from generate_export import (  # noqa: E402
    INCOMPLETE_SQL,
    PATTERNS,
    SIGNALS,
    STYLES,
    TABLE_ORDER,
    default_fraud_enterprises,
    generate,
    incomplete,
    load_export,
    lookalikes,
    signals,
    verify,
    verify_fraud,
)

SESSIONS = 300_000
AS_OF = dt.date(2023, 6, 30)


def _truth(export: Path) -> list[dict[str, str]]:
    with (export / "_truth" / "fraud.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fraud") / "export"
    generate(SESSIONS, out, "parquet", 7, default_fraud_enterprises(SESSIONS))
    return out


def test_the_same_seed_writes_the_same_bytes(export: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(SESSIONS, again, "parquet", 7, default_fraud_enterprises(SESSIONS))
    names = sorted(p.relative_to(export) for p in export.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert len(names) == len(TABLE_ORDER) + 2
    for name in names:
        assert (export / name).read_bytes() == (again / name).read_bytes(), name


def test_verify_passes_contract_and_signals(export: Path) -> None:
    assert verify(export, "parquet") == []
    assert verify_fraud(export, "parquet") == []


def test_lookalikes_are_there_and_fire_no_signal(export: Path) -> None:
    """Innocent look-alikes in 3 % of clean enterprises: present, yet under every threshold."""
    assert all(count > 0 for count in lookalikes(export, "parquet").values())
    with (export / "_truth" / "lookalikes.csv").open(encoding="utf-8", newline="") as fh:
        look = {row["enterprise_id"] for row in csv.DictReader(fh)}
    assert look and not look & {row["enterprise_id"] for row in _truth(export)}
    assert not look & set().union(*signals(export, "parquet").values())


def test_truth_lists_the_planted_enterprises_and_their_patterns(export: Path) -> None:
    truth = _truth(export)
    assert default_fraud_enterprises(SESSIONS) == 5 == len(truth)
    assert {row["style"] for row in truth} == set(STYLES)
    assert {p for row in truth for p in row["patterns"].split(";")} == set(SIGNALS)
    con = duckdb.connect()
    enterprises = {
        r[0]
        for r in con.execute(
            f"SELECT enterprise_id FROM read_parquet('{export / 'enterprises.parquet'}')"
        ).fetchall()
    }
    assert len(enterprises) == 200
    found = signals(export, "parquet")
    for row in truth:
        assert row["enterprise_id"] in enterprises
        assert row["patterns"].split(";") == list(PATTERNS[row["style"]])
        # a good share of the enterprise's trainees, not one or two
        assert int(row["planted_claims"]) >= 0.3 * int(row["claims"])
        for pattern in PATTERNS[row["style"]]:
            assert row["enterprise_id"] in found[pattern], pattern
    planted = {row["enterprise_id"] for row in truth}
    assert all(ids <= planted for ids in found.values())


def test_fraud_moves_no_clean_enterprises_row(export: Path, tmp_path: Path) -> None:
    """With and without --fraud, every row of a clean enterprise is the same."""
    clean = tmp_path / "clean"
    generate(SESSIONS, clean, "parquet", 7)
    assert not (clean / "_truth").exists()
    planted = {row["enterprise_id"] for row in _truth(export)}
    con = duckdb.connect()
    listed = ", ".join(f"'{e}'" for e in sorted(planted))
    for table in TABLE_ORDER:
        if table in ("enterprises", "projects", "trainees"):
            where = f"enterprise_id NOT IN ({listed})"
        else:
            where = (
                f"project_id IN (SELECT project_id FROM read_parquet('{clean}/projects.parquet')"
                f" WHERE enterprise_id NOT IN ({listed}))"
            )
        a, b = (
            f"SELECT * FROM read_parquet('{d}/{table}.parquet') WHERE {where}"
            for d in (export, clean)
        )
        rows = con.execute(f"SELECT count(*) FROM ({b})").fetchall()[0][0]
        assert rows > 0, table
        differ = con.execute(
            f"SELECT count(*) FROM (({a}) EXCEPT ALL ({b}) UNION ALL (({b}) EXCEPT ALL ({a})))"
        )
        assert differ.fetchall()[0][0] == 0, table
    # without --fraud the clean data is clean of the signals too
    assert all(not ids for ids in signals(clean, "parquet").values())


def test_planted_records_are_complete_for_the_compliance_rules(
    export: Path, tmp_path: Path
) -> None:
    """The audit reads the export beside its _truth folder; a planted enterprise has no finding
    but authenticity signals and, for backfill, EXAM_BEFORE_STUDY_END (a session after the last
    exam is exactly an exam before the study ended)."""
    run = audit(export, "shanghai-2022", tmp_path / "out", AuditOptions(as_of=AS_OF, reports=False))
    assert run.exit_code == 1  # the clean enterprises keep their planted compliance violations
    authenticity = {r.id for r in load_rules() if r.category == "authenticity"}
    style = {row["enterprise_id"]: row["style"] for row in _truth(export)}
    with (tmp_path / "out" / "findings.csv").open(encoding="utf-8", newline="") as fh:
        findings = [r for r in csv.DictReader(fh) if r["enterprise_id"] in style]
    unexpected = [
        (style[r["enterprise_id"]], r["rule_id"])
        for r in findings
        if r["rule_id"] not in authenticity
        and not (
            style[r["enterprise_id"]] == "backfill" and r["rule_id"] == "EXAM_BEFORE_STUDY_END"
        )
    ]
    assert unexpected == []
    with (tmp_path / "out" / "subsidy.csv").open(encoding="utf-8", newline="") as fh:
        claims = [r for r in csv.DictReader(fh) if r["enterprise_id"] in style]
    # payable unless a profile raised an authenticity signal to block
    blocking = {rule for r in claims for rule in r["blocking_rules"].replace(",", ";").split(";")}
    assert claims and blocking - {""} <= authenticity


def test_command_line(tmp_path: Path) -> None:
    """--fraud-enterprises K on a small export (67 enterprises), checked by --verify, as CSV."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "generate_export.py"), "100000", str(tmp_path / "e"),
         "--format", "csv", "--fraud-enterprises", "8", "--verify"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "planted patterns present, clean enterprises clean" in result.stdout
    assert len(_truth(tmp_path / "e")) == 8


def test_the_completeness_check_sees_the_clean_enterprises_violations(export: Path) -> None:
    """--verify finds no planted claim incomplete; asked about every enterprise, it finds the
    compliance violations the generator puts in clean ones, each kind."""
    assert incomplete(export, "parquet") == []
    with load_export(export, "parquet") as con:
        con.execute("DELETE FROM planted")
        con.execute("INSERT INTO planted SELECT DISTINCT enterprise_id, 'clean' FROM pr")
        kinds = con.execute(
            f"SELECT DISTINCT unnest(string_split(problems, ' ')) FROM ({INCOMPLETE_SQL})"
        ).fetchall()
    assert {k[0] for k in kinds} >= {"hours", "signin", "qa", "exam", "roster", "window", "import"}


def test_big_enterprise(tmp_path: Path) -> None:
    """--big-enterprise T: one enterprise of T trainees (its 50-trainee units' 3 projects each,
    course ids distinct), never planted; the contract and the signal checks still pass."""
    out = tmp_path / "big"
    counts = generate(40_000, out, "parquet", 7, default_fraud_enterprises(40_000), 600)
    assert counts["truth.big_enterprise"] == 1
    with (out / "_truth" / "big_enterprise.csv").open(encoding="utf-8", newline="") as fh:
        (big,) = list(csv.DictReader(fh))
    assert (big["trainees"], big["projects"]) == ("600", "36")
    assert big["enterprise_id"] not in {r["enterprise_id"] for r in _truth(out)}
    con = duckdb.connect()
    projects = f"read_parquet('{out / 'projects.parquet'}')"
    enterprises = f"read_parquet('{out / 'enterprises.parquet'}')"
    people, courses, rows = con.execute(
        f"SELECT count(DISTINCT t.person_id), "
        f"(SELECT count(DISTINCT course_id) FROM {projects} WHERE enterprise_id = $1), "
        f"(SELECT count(*) FROM {enterprises}) "
        f"FROM read_parquet('{out / 'claims.parquet'}') t JOIN {projects} USING (project_id) "
        f"WHERE enterprise_id = $1",
        [big["enterprise_id"]],
    ).fetchone()
    # every unit's courses its own (a refiled unit, 3 %, files one twice, as any enterprise)
    assert people == 600 and 34 <= courses <= 36
    assert rows == 27 - 12 + 1  # 1,334 trainees: 27 units, 12 of them the big enterprise's
    assert verify(out, "parquet") == []
    assert verify_fraud(out, "parquet") == []
