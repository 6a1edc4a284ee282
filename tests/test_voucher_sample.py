"""The voucher sample (sample_exports/shanghai-voucher-2021/): reproducible, and its identifiers
carry the check digits it was designed with (valid, except the deliberate bad ones)."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import importlib.util
import re
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from stdnum.cn import ric, uscc

from auditor.contract import load_contract

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_exports" / "shanghai-voucher-2021"
TABLES = [t.name for t in load_contract("training-voucher").tables]
# The deliberate bad identifiers (README.md): 胡晓丽's resident ID and institution C's credit code.
BAD_PERSON = "310110199311113461"
BAD_INSTITUTION = "52310104MJ50672151"
CLEAN_INSTITUTION = "52310101MJ49128738"
ALL_RULES = {
    "VOUCHER_MISSING",
    "VOUCHER_OTHER_PERSON",
    "VOUCHER_NOT_SUBSIDY",
    "VOUCHER_EXPIRED",
    "VOUCHER_PAID_TWICE",
    "LATE_REGISTRATION",
    "LATE_FEEDBACK",
    "CHECKIN_MISSING",
    "CHECKIN_OFF_SITE",
    "PAID_WITHOUT_PASS",
    "AMOUNT_WRONG",
    "WRITE_OFF_MISSING",
    "WRITE_OFF_WITHOUT_PAYMENT",
    "ID_INVALID",
    "ENTERPRISE_ID_INVALID",
    "BAD_ROW",
    "BAD_TIMESTAMP",
    "ORPHAN_RECORD",
}


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_voucher_sample", ROOT / "sample_exports" / "make_voucher_sample.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def rows(table: str) -> list[dict[str, str]]:
    with (SAMPLE / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_generator_reproduces_the_sample_files(generator: ModuleType, tmp_path: Path) -> None:
    generator.main(tmp_path)
    names = sorted(p.name for p in SAMPLE.iterdir() if p.is_file())
    assert names == sorted([f"{t}.csv" for t in TABLES] + ["intended.csv", "README.md"])
    _match, mismatch, errors = filecmp.cmpfiles(
        SAMPLE, tmp_path / "shanghai-voucher-2021", names, shallow=False
    )
    assert (mismatch, errors) == ([], []), mismatch + errors


def test_the_files_follow_the_contract_headers(generator: ModuleType) -> None:
    columns = generator.contract_columns()
    for table in TABLES:
        with (SAMPLE / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert header == [c["name"] for c in columns[table]], table


def test_every_person_id_has_a_valid_check_digit_but_the_deliberate_one() -> None:
    seen = set()
    for table in ["vouchers", "enrolments", "checkins", "assessments", "payments"]:
        seen |= {r["person_id"] for r in rows(table)}
    invalid = {pid for pid in seen if not ric.is_valid(pid)}  # check digit, birth date, region
    assert invalid == {BAD_PERSON}
    assert ric.calc_check_digit(BAD_PERSON) != BAD_PERSON[-1]
    assert ric.is_valid(BAD_PERSON[:-1] + ric.calc_check_digit(BAD_PERSON))  # only the digit
    for pid in seen - invalid:  # working-age Shanghai residents
        assert 1960 <= ric.get_birth_date(pid).year <= 2003
        assert pid.startswith("31")


def test_every_credit_code_is_valid_but_the_deliberate_one() -> None:
    codes = {r["institution_id"] for r in rows("institutions")}
    assert len(codes) == 4
    assert {c for c in codes if not uscc.is_valid(c)} == {BAD_INSTITUTION}
    assert uscc.is_valid(BAD_INSTITUTION[:-1] + uscc.calc_check_digit(BAD_INSTITUTION))
    assert {r["institution_id"] for r in rows("classes")} <= codes


def stamps(table: str, column: str) -> list[str]:
    """The values of a timestamp column that are not `YYYY-MM-DD HH:MM:SS` real times."""
    bad = []
    for r in rows(table):
        try:
            dt.datetime.strptime(r[column], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            bad.append(r[column])
    return bad


def test_values_are_written_as_the_contract_asks() -> None:
    assert stamps("checkins", "checked_in_at") == ["2021-13-45 09:00:00"]  # BAD_TIMESTAMP
    for table, column in [
        ("vouchers", "issued_at"),
        ("enrolments", "registered_at"),
        ("payments", "paid_at"),
        ("class_meetings", "starts_at"),
        ("class_meetings", "ends_at"),
    ]:
        assert stamps(table, column) == [], (table, column)
    assert set(stamps("vouchers", "written_off_at")) == {""}  # empty or a real time
    day = re.compile(r"\d{4}-\d{2}-\d{2}")
    assert all(day.fullmatch(r["valid_until"]) for r in rows("vouchers"))
    assert all(dt.date.fromisoformat(r["assessed_on"]) for r in rows("assessments"))
    assert {r["passed"] for r in rows("assessments")} == {"true", "false"}
    kinds = [r["payee_kind"] for r in rows("payments")]
    assert kinds.count("cash") == 1  # BAD_ROW
    assert set(kinds) == {"person", "institution", "enterprise", "cash"}


def test_intended_findings_are_the_specifications(generator: ModuleType) -> None:
    with (SAMPLE / "intended.csv").open(encoding="utf-8", newline="") as fh:
        intended = list(csv.DictReader(fh))
    findings, subsidy = generator.evaluate(SAMPLE)
    key = generator._key
    assert sorted(map(key, findings)) == sorted(map(key, intended))
    assert {f["rule_id"] for f in intended} == ALL_RULES
    assert CLEAN_INSTITUTION not in {f["institution_id"] for f in intended}
    clean = [s for s in subsidy if s.institution_id == CLEAN_INSTITUTION]
    assert clean and all(s.payable for s in clean)
    ids = {f["person_id"] for f in intended if f["rule_id"] == "ID_INVALID"}
    assert ids == {BAD_PERSON}
    assert [f["institution_id"] for f in intended if f["rule_id"] == "ENTERPRISE_ID_INVALID"] == [
        BAD_INSTITUTION
    ]


@pytest.fixture(scope="module")
def audited(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample audited once, as `auditor audit ... --as-of 2021-12-31` would."""
    from auditor.pipeline import AuditOptions, audit

    out = tmp_path_factory.mktemp("voucher") / "out"
    run = audit(SAMPLE, "shanghai-voucher-2021", out, AuditOptions(as_of=generator.AS_OF))
    assert run.exit_code == 1  # blocking findings by design
    assert run.counts["claims"] == 29 and run.counts["claims.payable"] == 16
    return out


@pytest.mark.parametrize("name", ["findings.csv", "subsidy.csv"])
def test_output_matches_the_reviewed_expectation(audited: Path, name: str) -> None:
    """expected/ is the reviewed output: its findings are intended.csv's (next test)."""
    assert filecmp.cmp(audited / name, SAMPLE / "expected" / name, shallow=False), name


def test_the_audit_finds_what_was_intended(generator: ModuleType, audited: Path) -> None:
    """The audit's findings and subsidy rows are those the generator designed and checked in
    plain Python (README.md says which readings of the rules they rest on)."""
    columns = generator.INTENDED_COLUMNS
    with (audited / "findings.csv").open(encoding="utf-8", newline="") as fh:
        found = {tuple(r.get(c) or "" for c in columns) for r in csv.DictReader(fh)}
    with (SAMPLE / "intended.csv").open(encoding="utf-8", newline="") as fh:
        intended = {tuple(r[c] for c in columns) for r in csv.DictReader(fh)}
    assert (sorted(found - intended), sorted(intended - found)) == ([], [])
    _findings, subsidy = generator.evaluate(SAMPLE)
    with (audited / "subsidy.csv").open(encoding="utf-8", newline="") as fh:
        got = {
            r["payment_id"]: (r["payable"], Decimal(r["verified_amount"]))
            for r in csv.DictReader(fh)
        }
    want = {s.payment_id: ("true" if s.payable else "false", s.verified_amount) for s in subsidy}
    assert got == want


def test_every_voucher_rule_fires_in_the_sample_and_one_institution_is_clean(audited: Path) -> None:
    from auditor.policy import load_policy
    from auditor.rules import rules_for

    with (audited / "findings.csv").open(encoding="utf-8", newline="") as fh:
        findings = list(csv.DictReader(fh))
    assert {f["rule_id"] for f in findings} == {
        r.id for r in rules_for(load_policy("shanghai-voucher-2021"))
    }
    assert CLEAN_INSTITUTION not in {f["institution_id"] for f in findings}
    pages = sorted(p.name for p in (audited / "institutions").glob("*.html"))
    assert len(pages) == 4 and (audited / "index.html").is_file()


def test_the_cli_audits_the_sample_with_extensions_never_fetched(
    generator: ModuleType, tmp_path: Path
) -> None:
    """DuckDB must not download an extension: the audit runs in a process whose extension
    folder is empty, with autoloading and autoinstalling off (the pipeline sets both)."""
    import os
    import subprocess

    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    out = tmp_path / "out"
    code = (
        "import duckdb, sys\n"
        "from auditor import pipeline\n"
        "seen = []\n"
        "real = pipeline.facts.materialize\n"
        "def spy(con, queries):\n"
        "    seen.append(con.execute(\"SELECT current_setting('autoload_known_extensions'), "
        "current_setting('autoinstall_known_extensions')\").fetchall()[0])\n"
        "    return real(con, queries)\n"
        "pipeline.facts.materialize = spy\n"
        "run = pipeline.audit(sys.argv[1], 'shanghai-voucher-2021', sys.argv[2],\n"
        "    pipeline.AuditOptions(as_of=__import__('datetime').date(2021, 12, 31)))\n"
        "print(run.exit_code, sorted(set(seen)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLE), str(out)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 [(False, False)]"
    assert not (home / ".duckdb").exists()  # nothing was installed
    assert filecmp.cmp(out / "subsidy.csv", SAMPLE / "expected" / "subsidy.csv", shallow=False)


def test_the_manifest_accounts_for_every_record_of_every_file(audited: Path) -> None:
    """Counted with the csv module, independently of the DuckDB reader: each record is read,
    then either accepted or rejected (the one `cash` payment), none lost."""
    import json

    inputs = json.loads((audited / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    for table in TABLES:
        with (SAMPLE / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            records = sum(1 for _ in csv.reader(fh)) - 1  # the header
        got = inputs[table]
        assert got["rows_read"] == records, table
        assert got["rows_accepted"] + got["rows_rejected"] == records, table
        assert got["rows_rejected"] == (1 if table == "payments" else 0), table
