"""The voucher programme through the engine: exports written differently, mappings, severities.

The sample (sample_exports/shanghai-voucher-2021) is the reference: each test writes it another
way a platform might and expects the same verdicts, or changes one thing and expects that.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from auditor.contract import load_contract
from auditor.errors import AuditorError
from auditor.pipeline import AuditOptions, audit

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_exports" / "shanghai-voucher-2021"
EXPECTED = SAMPLE / "expected"
AS_OF = dt.date(2021, 12, 31)
TABLES = [t.name for t in load_contract("training-voucher").tables]


def _copy(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    export.mkdir()
    for table in TABLES:
        shutil.copy(SAMPLE / f"{table}.csv", export / f"{table}.csv")
    return export


def _audit(export: Path, out: Path, policy: str | Path = "shanghai-voucher-2021") -> Path:
    audit(export, str(policy), out, AuditOptions(as_of=AS_OF, reports=False))
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_parquet_with_its_own_column_order_gives_the_same_verdicts(tmp_path: Path) -> None:
    """An export written by another tool: Parquet files, columns reversed, typed by the writer."""
    export = tmp_path / "parquet"
    export.mkdir()
    con = duckdb.connect()
    for table in TABLES:
        rel = con.read_csv(str(SAMPLE / f"{table}.csv"), all_varchar=True)
        columns = ", ".join(f'"{c}"' for c in reversed(rel.columns))
        target = str(export / f"{table}.parquet").replace("'", "''")
        con.execute(
            f"COPY (SELECT {columns} FROM read_csv('{SAMPLE / f'{table}.csv'}', all_varchar = true)) "
            f"TO '{target}' (FORMAT parquet)"
        )
    out = _audit(export, tmp_path / "out")
    assert (out / "subsidy.csv").read_bytes() == (EXPECTED / "subsidy.csv").read_bytes()
    # the same findings; a rejected row's message names the file it was read from
    found = (out / "findings.csv").read_text(encoding="utf-8").replace(".parquet", ".csv")
    assert found == (EXPECTED / "findings.csv").read_text(encoding="utf-8")


def test_a_mapping_renames_a_voucher_file_and_its_headers(tmp_path: Path) -> None:
    export = _copy(tmp_path)
    text = (export / "payments.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    header = header.replace("payment_id", "支付编号").replace("amount", "金额")
    (export / "补贴支付.csv").write_text(header + "\n" + rest, encoding="utf-8")
    (export / "payments.csv").unlink()
    (export / "mapping.toml").write_text(
        '[tables.payments]\nfile = "补贴支付"\n[tables.payments.columns]\n'
        '"支付编号" = "payment_id"\n"金额" = "amount"\n',
        encoding="utf-8",
    )
    out = _audit(export, tmp_path / "out")
    assert (out / "subsidy.csv").read_bytes() == (EXPECTED / "subsidy.csv").read_bytes()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ('[tables.classes.columns]\n"半径" = "radius"\n', "maps '半径' to unknown column 'radius'"),
        (
            '[tables.claims.columns]\n"x" = "person_id"\n',
            "unknown table 'claims'; tables: vouchers",
        ),
    ],
    ids=["unknown column of a voucher table", "an online table"],
)
def test_a_mapping_is_checked_against_the_voucher_tables(
    tmp_path: Path, mapping: str, message: str
) -> None:
    export = _copy(tmp_path)
    (export / "mapping.toml").write_text(mapping, encoding="utf-8")
    with pytest.raises(AuditorError, match=message.replace("(", r"\(")):
        _audit(export, tmp_path / "out")


def test_an_institution_wide_block_blocks_every_payment_of_that_institution(tmp_path: Path) -> None:
    """A profile may raise ENTERPRISE_ID_INVALID to block: a finding with no class then blocks
    all of the institution's payments (subsidy.sql's fourth level) and no other's."""
    profile = (ROOT / "checks" / "policies" / "shanghai-voucher-2021.toml").read_text("utf-8")
    policy = tmp_path / "strict-voucher.toml"
    policy.write_text(profile + '\n[severity]\nENTERPRISE_ID_INVALID = "block"\n', "utf-8")
    out = _audit(_copy(tmp_path), tmp_path / "out", policy)
    [bad] = {f["institution_id"] for f in _rows(out / "findings.csv")
             if f["rule_id"] == "ENTERPRISE_ID_INVALID"}  # fmt: skip
    before = {r["payment_id"]: r for r in _rows(EXPECTED / "subsidy.csv")}
    for row in _rows(out / "subsidy.csv"):
        if row["institution_id"] == bad:
            assert row["payable"] == "false" and "ENTERPRISE_ID_INVALID" in row["blocking_rules"]
            assert row["verified_amount"] == "0.00"
        else:
            assert row == before[row["payment_id"]]


def test_the_voucher_papers_have_the_programme_s_keys_and_no_online_extras(tmp_path: Path) -> None:
    out = _audit(_copy(tmp_path), tmp_path / "out")
    assert list(_rows(out / "findings.csv")[0]) == [
        "finding_id", "rule_id", "severity", "institution_id", "class_id", "person_id",
        "payment_id", "message", "evidence",
    ]  # fmt: skip
    assert list(_rows(out / "subsidy.csv")[0]) == [
        "payment_id", "institution_id", "class_id", "person_id", "paid_amount", "payable",
        "verified_amount", "blocking_rules",
    ]  # fmt: skip
    rejects = _rows(out / "rejects.csv")
    assert [(r["source_table"], r["payment_id"] != "", r["column_name"]) for r in rejects] == [
        ("payments", True, "payee_kind")
    ]
    for extra in ("risk.csv", "callbacks.csv", "public_notice.csv", "public_notice.xlsx"):
        assert not (out / extra).exists(), extra
