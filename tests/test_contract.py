"""Export contracts as data: each programme's contract.toml loads, is documented, and a malformed
one is refused naming its file and key; the kinds it uses are read by ingest."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from auditor import contract
from auditor.contract import (
    KINDS,
    Column,
    Table,
    list_programmes,
    load_contract,
    programmes_dir,
)
from auditor.errors import ContractError
from auditor.ingest import REJECTS_DDL, SQL_TYPES, IngestResult, ingest_file
from auditor.mapping import TableMapping

ROOT = Path(__file__).resolve().parent.parent


def test_the_public_names_are_the_online_programme_as_its_contract_toml_says() -> None:
    online = load_contract("online-subsidy")
    assert online.tables == contract.TABLES
    assert {t.name: t for t in online.tables} == contract.TABLES_BY_NAME
    assert contract.ACTIVITY_TABLES == ("signins", "study_sessions", "qa", "exams")
    assert [t.name for t in contract.TABLES] == [
        "enterprises", "projects", "trainees", "claims", "signins", "study_sessions", "qa", "exams"
    ]  # fmt: skip
    assert [t.name for t in contract.TABLES if not t.required] == ["qa", "exams"]
    assert (online.claim_table, online.claim_key) == ("claims", ("project_id", "person_id"))
    assert contract.TABLES_BY_NAME["trainees"].column("employment").values == (
        "labor_contract", "dispatch", "other"
    )  # fmt: skip


def test_every_programme_folder_has_a_valid_contract_and_its_own_docs() -> None:
    folders = sorted(p.name for p in programmes_dir().iterdir() if p.is_dir())
    assert folders == list_programmes()  # a folder without contract.toml is a mistake
    assert {"online-subsidy", "training-voucher"} <= set(folders)
    docs = (ROOT / "docs" / "export-contract.md").read_text(encoding="utf-8")
    for name in folders:
        loaded = load_contract(name)
        assert loaded.programme == name
        assert f"<!-- generated:contract:{name} -->" in docs, f"{name} is not documented"


# The voucher tables as GitHub issue 7 lists them; True = ★ required.
VOUCHER_TABLES = {
    "vouchers": {"voucher_id": True, "person_id": True, "kind": True, "ratio": False,
                 "issued_at": True, "valid_until": True, "written_off_at": False},
    "institutions": {"institution_id": True, "name": True, "district": False},
    "classes": {"class_id": True, "institution_id": True, "course_id": True, "start_date": True,
                "end_date": True, "feedback_at": False, "site_lat": True, "site_lon": True,
                "site_radius_m": True, "coord_system": True, "standard_amount": True},
    "class_meetings": {"class_id": True, "starts_at": True, "ends_at": True},
    "enrolments": {"class_id": True, "person_id": True, "voucher_id": True,
                   "registered_at": True},
    "checkins": {"class_id": True, "person_id": True, "checked_in_at": True, "lat": True,
                 "lon": True, "coord_system": True},
    "assessments": {"class_id": True, "person_id": True, "passed": True, "assessed_on": True},
    "payments": {"payment_id": True, "class_id": True, "person_id": True, "voucher_id": False,
                 "amount": True, "payee_kind": True, "paid_at": True},
}  # fmt: skip


def test_the_voucher_contract_has_exactly_the_issues_tables_and_columns() -> None:
    voucher = load_contract("training-voucher")
    found = {t.name: {c.name: c.required for c in t.columns} for t in voucher.tables}
    assert found == VOUCHER_TABLES
    by_name = voucher.tables_by_name
    assert by_name["vouchers"].column("kind").values == ("subsidy", "checkin_only")
    assert by_name["payments"].column("payee_kind").values == (
        "person",
        "institution",
        "enterprise",
    )
    for table, column in (("classes", "coord_system"), ("checkins", "coord_system")):
        assert by_name[table].column(column).values == ("wgs84", "gcj02", "bd09")
    kinds = {(t.name, c.name): c.kind for t in voucher.tables for c in t.columns}
    assert kinds["assessments", "passed"] == "boolean"
    assert kinds["vouchers", "valid_until"] == "date"
    assert {kinds["checkins", "lat"], kinds["classes", "site_lon"], kinds["vouchers", "ratio"]} == {
        "number"
    }
    assert (voucher.claim_table, voucher.claim_key) == ("payments", ("payment_id",))
    assert voucher.activity_tables == ("checkins",)


def test_every_kind_is_typed_by_ingest() -> None:
    assert set(KINDS) == set(SQL_TYPES) | {"id", "text"}


# --- the loader on bad input ----------------------------------------------------------------

MINIMAL = """
title = "t"
[claim]
table = "claims"
key = ["claim_id"]
[[tables]]
name = "claims"
help = "h"
columns = [{ name = "claim_id", kind = "id", required = true, help = "h" }]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo" / "contract.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_contract_loads_with_the_documented_defaults(tmp_path: Path) -> None:
    loaded = load_contract(_write(tmp_path, MINIMAL + OPTIONAL_COLUMN))
    assert loaded.programme == "demo"
    assert loaded.activity_tables == ()
    claims, notes = loaded.tables
    assert claims.required is True  # a table is required unless it says not
    assert notes.required is False
    assert claims.columns == (Column("claim_id", "id", True, "h"),)
    assert notes.columns == (Column("note", "text", False, "h"),)  # optional unless it says so


OPTIONAL_COLUMN = """
[[tables]]
name = "notes"
help = "h"
required = false
columns = [{ name = "note", kind = "text", help = "h" }]
"""


BAD = {
    "not TOML": ("title = ", "not valid UTF-8 TOML"),
    "no title": (MINIMAL.replace('title = "t"', ""), "`title` (text) is required"),
    "unknown top key": (MINIMAL + 'programme = "x"\n', "unknown key(s) ['programme']"),
    "no tables": (MINIMAL.split("[[tables]]")[0], "one or more [[tables]] are required"),
    "table name in capitals": (
        MINIMAL.replace('name = "claims"', 'name = "Claims"'),
        "tables[0]: `name` (a lower_snake_case file stem) is required",
    ),
    "table named like the engine's": (
        MINIMAL.replace('"claims"', '"policy"'),
        "tables[0] (policy): the name 'policy' is taken by the engine or by SQL",
    ),
    "table with a working-table prefix": (
        MINIMAL.replace('"claims"', '"raw_claims"'),
        "tables[0] (raw_claims): the name 'raw_claims' is taken",
    ),
    "misspelt table key": (
        MINIMAL.replace('help = "h"\ncolumns', 'help = "h"\nrequird = true\ncolumns'),
        "tables[0] (claims): unknown key(s) ['requird']",
    ),
    "table required not a bool": (
        MINIMAL.replace('help = "h"\ncolumns', 'help = "h"\nrequired = "yes"\ncolumns'),
        "tables[0] (claims): `required` is true or false",
    ),
    "no columns": (
        MINIMAL.split("columns =")[0] + "columns = []\n",
        "tables[0] (claims): `columns` lists one or more columns",
    ),
    "unknown kind": (
        MINIMAL.replace('kind = "id"', 'kind = "float"'),
        "tables[0] (claims).columns[0] (claim_id): `kind` is one of id, text",
    ),
    "column named by a reserved word": (
        MINIMAL.replace('"claim_id"', '"select"'),
        "columns[0] (select): 'select' is a reserved SQL word",
    ),
    "column name starting with _": (
        MINIMAL.replace('{ name = "claim_id"', '{ name = "_row"'),
        "columns[0]: `name` (lower_snake_case, not starting with _) is required",
    ),
    "misspelt column key": (
        MINIMAL.replace("required = true, help", "requred = true, help"),
        "columns[0] (claim_id): unknown key(s) ['requred']",
    ),
    "column without help": (
        MINIMAL.replace(', help = "h" }', " }"),
        "columns[0] (claim_id): `help` (text) is required",
    ),
    "column twice": (
        MINIMAL.replace(
            'help = "h" }]', 'help = "h" }, { name = "claim_id", kind = "text", help = "h" }]'
        ),
        "columns[1]: column claim_id is declared twice",
    ),
    "values on an id column": (
        MINIMAL.replace('help = "h" }]', 'help = "h", values = ["a"] }]'),
        "`values` (an enumeration) is for text columns only",
    ),
    "repeated value": (
        MINIMAL.replace(
            'help = "h" }]',
            'help = "h" }, { name = "s", kind = "text", help = "h", values = ["a", "a"] }]',
        ),
        "columns[1] (s): `values` are distinct",
    ),
    "min on a text column": (
        MINIMAL.replace(
            'help = "h" }]', 'help = "h" }, { name = "s", kind = "text", help = "h", min = 0 }]'
        ),
        "columns[1] (s): `min` is for decimal, integer, number columns only",
    ),
    "max given as text": (
        MINIMAL.replace(
            'help = "h" }]', 'help = "h" }, { name = "r", kind = "number", help = "h", max = "1" }]'
        ),
        "columns[1] (r): `max` is a number, not '1'",
    ),
    "min not finite": (
        MINIMAL.replace(
            'help = "h" }]', 'help = "h" }, { name = "r", kind = "number", help = "h", min = nan }]'
        ),
        "columns[1] (r): `min` is a number, not nan",
    ),
    "min above max": (
        MINIMAL.replace(
            'help = "h" }]',
            'help = "h" }, { name = "r", kind = "decimal", help = "h", min = 1, max = 0.5 }]',
        ),
        "columns[1] (r): `min` 1 is greater than `max` 0.5",
    ),
    "table twice": (
        MINIMAL + MINIMAL.split('claim_id"]')[1],
        "tables[1]: table claims is declared twice",
    ),
    "activity table unknown": (
        'activity_tables = ["signins"]\n' + MINIMAL,
        "activity_tables: ['signins'] are not tables of the contract",
    ),
    "no claim": (
        MINIMAL.replace('[claim]\ntable = "claims"\nkey = ["claim_id"]\n', ""),
        "a [claim] table (table, key) is required",
    ),
    "claim of an unknown table": (
        MINIMAL.replace('table = "claims"', 'table = "payments"'),
        "claim.table 'payments' is not a table of the contract",
    ),
    "claim keyed by an optional column": (
        MINIMAL.replace('["claim_id"]', '["claim_id", "note"]').replace(
            'help = "h" }]', 'help = "h" }, { name = "note", kind = "text", help = "h" }]'
        ),
        "claim.key lists required columns of claims; not one: ['note']",
    ),
    "claim without key": (
        MINIMAL.replace('["claim_id"]', "[]"),
        "claim.key lists required columns of claims",
    ),
    "facts outside checks": (
        'facts = "../.."\n' + MINIMAL,
        "`facts` must name a folder of checks/, got '../..'",
    ),
    "rules not a folder": (
        'rules = "no-such-folder"\n' + MINIMAL,
        "`rules` must name a folder of checks/, got 'no-such-folder'",
    ),
    "rules not text": ('rules = ["rules"]\n' + MINIMAL, "`rules` must name a folder of checks/"),
    "facts empty": ('facts = ""\n' + MINIMAL, "`facts` must name a folder of checks/, got ''"),
    "finding key not an id column": (
        MINIMAL + '[findings]\nkeys = ["claim_id", "nope"]\n',
        "findings.keys lists distinct ID columns of the contract's tables; not: ['nope']",
    ),
    "finding keys repeated": (
        MINIMAL + '[findings]\nkeys = ["claim_id", "claim_id"]\n',
        "findings.keys lists distinct ID columns",
    ),
    "unknown report": (
        MINIMAL + '[outputs]\nreport = "pdf"\n',
        "outputs.report is one of enterprises, institutions",
    ),
    "unknown extra": (
        MINIMAL + '[outputs]\nextras = ["risk", "fax"]\n',
        "outputs.extras: ['fax'] are not among",
    ),
    "subsidy file missing": (
        MINIMAL + '[outputs]\nsubsidy = "nowhere.sql"\n',
        "outputs.subsidy must name a .sql file beside the contract",
    ),
    "unknown outputs key": (MINIMAL + "[outputs]\nformat = 1\n", "outputs: unknown key(s)"),
    "shared rules as a list": ('shared_rules = ["BAD_ROW"]\n' + MINIMAL, "shared_rules: a table"),
    "shared rule rewords a key it may not": (
        MINIMAL + "[shared_rules.BAD_ROW]\nseverity = 'block'\n",
        "shared_rules.BAD_ROW: unknown key(s) ['severity']",
    ),
    "shared rule with empty wording": (
        MINIMAL + "[shared_rules.BAD_ROW]\nsummary = ' '\n",
        "shared_rules.BAD_ROW: ['summary'] must be non-empty text",
    ),
}


def test_facts_and_rules_sit_beside_the_contract_unless_it_names_a_folder(tmp_path: Path) -> None:
    loaded = load_contract(_write(tmp_path, MINIMAL))
    assert loaded.facts_dir == tmp_path / "demo" / "facts"
    assert loaded.rules_dir == tmp_path / "demo" / "rules"
    named = load_contract(_write(tmp_path, 'rules = "rules"\n' + MINIMAL))
    assert named.rules_dir == (ROOT / "checks" / "rules").resolve()
    assert named.facts_dir == tmp_path / "demo" / "facts"
    voucher = load_contract("training-voucher")
    assert voucher.facts_dir == ROOT / "checks" / "programmes" / "training-voucher" / "facts"


def test_keys_default_to_the_claim_key_and_outputs_to_an_enterprise_report(tmp_path: Path) -> None:
    loaded = load_contract(_write(tmp_path, MINIMAL))
    assert loaded.keys == ("claim_id",)
    assert (loaded.report, loaded.extras, loaded.amount_column) == (
        "enterprises",
        (),
        "claimed_amount",
    )
    assert loaded.subsidy_file is None  # a contract being written: the audit says so
    (tmp_path / "demo" / "subsidy.sql").write_text("SELECT 1", encoding="utf-8")
    assert (
        load_contract(_write(tmp_path, MINIMAL)).subsidy_file == tmp_path / "demo" / "subsidy.sql"
    )


def test_the_two_programmes_keys_and_outputs() -> None:
    online, voucher = load_contract("online-subsidy"), load_contract("training-voucher")
    assert online.keys == ("enterprise_id", "project_id", "person_id")
    assert online.extras == ("risk", "callbacks", "public_notice")
    assert voucher.keys == ("institution_id", "class_id", "person_id", "payment_id")
    assert (voucher.report, voucher.extras, voucher.amount_column) == (
        "institutions",
        (),
        "paid_amount",
    )
    assert voucher.shared_rules == ("BAD_ROW", "BAD_TIMESTAMP", "ORPHAN_RECORD", "ID_INVALID",
                                    "ENTERPRISE_ID_INVALID")  # fmt: skip
    assert set(voucher.shared_wording) == {"BAD_ROW", "BAD_TIMESTAMP", "ORPHAN_RECORD"}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_malformed_contract_is_refused_naming_its_file_and_key(case: str, tmp_path: Path) -> None:
    text, message = BAD[case]
    path = _write(tmp_path, text)
    with pytest.raises(ContractError) as err:
        load_contract(path)
    assert str(err.value).startswith(f"contract file {path}: "), str(err.value)
    assert message in str(err.value)


def test_the_bad_cases_are_each_one_edit_of_a_valid_file(tmp_path: Path) -> None:
    """Each bad case fails for its own reason: the file it edits loads."""
    load_contract(_write(tmp_path, MINIMAL))
    for case, (text, _) in BAD.items():
        if case != "not TOML":
            tomllib.loads(text)  # valid TOML, so the message is about the key


def test_a_contract_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    path.write_bytes(MINIMAL.replace('"t"', '"培训"').encode("gb18030"))
    with pytest.raises(ContractError, match="not valid UTF-8 TOML"):
        load_contract(path)


@pytest.mark.parametrize("name", ["vouchers", "../online-subsidy", "", "Online-Subsidy"])
def test_an_unknown_programme_is_refused_listing_the_programmes(name: str) -> None:
    with pytest.raises(ContractError) as err:
        load_contract(name)
    known = ", ".join(list_programmes())
    assert f"no programme called {name!r}; programmes: {known}" in str(err.value)
    assert "online-subsidy, training-voucher" in known


def test_a_missing_contract_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="does not exist"):
        load_contract(tmp_path / "nowhere" / "contract.toml")


# --- the new kinds at the door --------------------------------------------------------------

TYPED = Table(
    "typed",
    "number and boolean columns",
    (
        Column("row_id", "id", True, "row"),
        Column("ratio", "number", False, "a ratio"),
        Column("passed", "boolean", True, "a result"),
    ),
)


def test_number_and_boolean_values_are_typed_and_unreadable_ones_rejected(tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    path.write_text(
        "row_id,ratio,passed\n"
        "a,0.85,TRUE\n"
        "b,121.4737021,0\n"  # seven places: kept to six
        "c,,yes\n"  # an optional number may be empty
        "d,abc,true\n"  # not a number
        "e,0.5,maybe\n"  # not a boolean
        "f,0.5,\n",  # a required boolean is empty
        encoding="utf-8",
    )
    con = duckdb.connect()
    con.execute(REJECTS_DDL)
    result = IngestResult()
    ingest_file(con, TYPED, path, TableMapping(), tmp_path, result)
    rows = con.execute("SELECT row_id, ratio, passed FROM typed ORDER BY row_id").fetchall()
    assert rows == [
        ("A", Decimal("0.850000"), True),
        ("B", Decimal("121.473702"), False),
        ("C", None, True),
    ]
    rejects = con.execute(
        "SELECT source_row, column_name, reason FROM rejects ORDER BY source_row"
    ).fetchall()
    assert rejects == [
        (4, "ratio", "value cannot be read as number"),
        (5, "passed", "value is empty or cannot be read as boolean"),
        (6, "passed", "value is empty or cannot be read as boolean"),
    ]
    assert result.rows_read["typed"] == 6 == result.rows["typed"] + result.rows_rejected["typed"]


def test_typed_parquet_booleans_and_doubles_are_taken_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'x' AS row_id, 31.2304::DOUBLE AS ratio, false AS passed) TO '{path}' "
        "(FORMAT parquet)"
    )
    con.execute(REJECTS_DDL)
    ingest_file(con, TYPED, path, TableMapping(), tmp_path, IngestResult())
    assert con.execute("SELECT row_id, ratio, passed FROM typed").fetchall() == [
        ("X", Decimal("31.230400"), False)
    ]


def test_a_range_may_be_a_single_value_and_is_documented_in_words(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'help = "h" }]',
        'help = "h" }, { name = "r", kind = "integer", help = "h", min = 3, max = 3 }]',
    )
    column = load_contract(_write(tmp_path, text)).tables[0].column("r")
    assert (column.minimum, column.maximum, column.span) == (3, 3, "from 3 to 3")
    assert Column("x", "number", False, "h", minimum=-90).span == "at least -90"
    assert Column("x", "number", False, "h", maximum=90).span == "at most 90"
    assert Column("x", "number", False, "h").span == ""


def test_values_outside_a_columns_range_are_rejected_and_its_ends_accepted(tmp_path: Path) -> None:
    ranged = Table(
        "ranged",
        "a bounded ratio",
        (Column("row_id", "id", True, "row"), Column("ratio", "number", False, "h", (), 0, 1)),
    )
    path = tmp_path / "ranged.csv"
    path.write_text("row_id,ratio\na,0\nb,1\nc,1.000001\nd,-0.000001\ne,\n", encoding="utf-8")
    con = duckdb.connect()
    con.execute(REJECTS_DDL)
    ingest_file(con, ranged, path, TableMapping(), tmp_path, IngestResult())
    assert con.execute("SELECT row_id, ratio FROM ranged ORDER BY 1").fetchall() == [
        ("A", Decimal("0.000000")),
        ("B", Decimal("1.000000")),
        ("E", None),
    ]
    assert con.execute(
        "SELECT source_row, column_name, reason FROM rejects ORDER BY 1"
    ).fetchall() == [
        (3, "ratio", "value must be from 0 to 1"),
        (4, "ratio", "value must be from 0 to 1"),
    ]


def test_the_voucher_contract_bounds_ratios_and_coordinates() -> None:
    tables = load_contract("training-voucher").tables_by_name
    assert tables["vouchers"].column("ratio").span == "from 0 to 1"
    for table, lat, lon in (("classes", "site_lat", "site_lon"), ("checkins", "lat", "lon")):
        assert tables[table].column(lat).span == "from -90 to 90"
        assert tables[table].column(lon).span == "from -180 to 180"
    assert all(
        c.minimum is None and c.maximum is None for t in contract.TABLES for c in t.columns
    )  # the online contract is unbounded, as it was
