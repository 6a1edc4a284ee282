"""Every rule file is consistent with the facts, the policies, its test cases and the docs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from auditor import facts, sqlfuncs
from auditor.contract import list_programmes, load_contract
from auditor.findings import POLICY_SCALARS, policy_scalars
from auditor.policy import list_policies, load_policy
from auditor.rules import all_rules, load_rules, programme_rules
from tests.exports import clean_world, write_export

RULES = all_rules()  # every programme's
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fact_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list]]:
    """Every fact table's columns with their values, built from the clean world."""
    from auditor.ingest import ingest
    from auditor.mapping import Mapping
    from auditor.workdays import load_calendar

    tmp = tmp_path_factory.mktemp("cat")
    export = write_export(tmp / "export", clean_world("shanghai-2022"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    sqlfuncs.register(con)
    facts.load_dialect(con)
    ingest(con, export, Mapping(), tmp)
    facts.load_policy_tables(con, load_policy("shanghai-2022"), dt.date(2023, 1, 1))
    facts.load_reference_tables(con)
    load_calendar(con, dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    con.execute("CREATE TABLE prior_blocks (project_id VARCHAR, person_id VARCHAR)")
    facts.materialize(con, facts.load_fact_queries())
    out: dict[str, dict[str, list]] = {}
    for q in facts.load_fact_queries():
        rel = con.execute(f"SELECT * FROM {q.name}")
        names = [d[0] for d in rel.description]
        rows = rel.fetchall()
        out[q.name] = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return out


ONLINE = [r for r in RULES if r.programme == "online-subsidy"]  # the clean world is online's


@pytest.mark.parametrize("rule", ONLINE, ids=[r.id for r in ONLINE])
def test_rule_column_exists_and_is_never_null(rule, fact_columns) -> None:
    assert rule.table in fact_columns, f"{rule.id}: no fact table {rule.table}"
    values = fact_columns[rule.table].get(rule.column)
    assert values is not None, f"{rule.id}: {rule.table} has no column {rule.column}"
    assert all(v is not None for v in values), f"{rule.id}: {rule.column} is NULL"


def test_the_clean_world_fills_the_claim_fact_tables(fact_columns) -> None:
    for table in ("claim_facts", "claim_cap", "enterprise_facts", "record_facts"):
        assert len(next(iter(fact_columns[table].values()))) >= 1, table


@pytest.mark.parametrize("rule", ONLINE, ids=[r.id for r in ONLINE])
def test_message_and_evidence_names_resolve(rule, fact_columns) -> None:
    known = set(fact_columns[rule.table]) | POLICY_SCALARS
    names = (*rule.placeholders, *rule.evidence, *rule.evidence_optional)
    missing = [n for n in names if n not in known]
    assert not missing, f"{rule.id}: unknown names {missing}"


@pytest.fixture(scope="module")
def voucher_fact_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list]]:
    """The voucher programme's fact tables built from its sample export."""
    from auditor.ingest import ingest
    from auditor.mapping import Mapping

    tmp = tmp_path_factory.mktemp("voucher-cat")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    sqlfuncs.register(con)
    facts.load_dialect(con)
    export = ROOT / "sample_exports" / "shanghai-voucher-2021"
    ingest(con, export, Mapping(), tmp, contract=load_contract("training-voucher"))
    facts.load_policy_tables(con, load_policy("shanghai-voucher-2021"), dt.date(2021, 12, 31))
    facts.load_reference_tables(con)
    queries = facts.load_fact_queries(programme="training-voucher")
    facts.materialize(con, queries)
    out: dict[str, dict[str, list]] = {}
    for q in queries:
        rel = con.execute(f"SELECT * FROM {q.name}")
        names = [d[0] for d in rel.description]
        rows = rel.fetchall()
        out[q.name] = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return out


VOUCHER = programme_rules("training-voucher")  # its own and the shared ones, in its wording


@pytest.mark.parametrize("rule", VOUCHER, ids=[r.id for r in VOUCHER])
def test_voucher_rule_columns_exist_never_null_and_messages_resolve(
    rule, voucher_fact_columns
) -> None:
    table = voucher_fact_columns.get(rule.table)
    assert table, f"{rule.id}: the voucher sample leaves {rule.table} empty or missing"
    assert all(v is not None for v in table[rule.column]), f"{rule.id}: {rule.column} is NULL"
    known = set(table) | policy_scalars("training-voucher")
    names = (*rule.placeholders, *rule.evidence, *rule.evidence_optional)
    assert not [n for n in names if n not in known], f"{rule.id}: unknown names"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_parameters_are_defined_by_every_policy_the_rule_applies_to(rule) -> None:
    for policy in list_policies():
        if rule.applies_to(policy):
            for name in rule.parameters():
                assert policy.parameters.get(name) is not None, (
                    f"{rule.id}: {policy.id} lacks {name}"
                )


def test_fact_tables_with_rules_declare_their_grain() -> None:
    for rule in RULES:
        grains = {q.name: q.grain for q in facts.load_fact_queries(programme=rule.programme)}
        assert grains.get(rule.table), f"{rule.table} (used by {rule.id}) declares no grain"


@pytest.mark.parametrize("programme", list_programmes())
def test_each_programme_s_facts_read_only_its_tables(programme: str) -> None:
    """A programme's facts read its contract, the engine's built tables and each other."""
    queries = facts.load_fact_queries(programme=programme)
    reference = {p.stem for p in (ROOT / "checks" / facts.REFERENCE_DIR).glob("*.toml")}
    tables = {t.name for t in load_contract(programme).tables}
    allowed = (
        tables
        | {f"raw_{t}" for t in tables}  # ingest's untyped copy
        | {q.name for q in queries}
        | set(facts.BUILT_INPUTS)
        | reference
        | {"rejects", "unparsed_values", "tie_outs", "activity_sources", "unmapped_actors"}
    )
    for q in queries:
        assert q.reads <= allowed, f"{programme}: {q.name} reads {sorted(q.reads - allowed)}"


def test_a_rule_judges_a_fact_of_each_programme_it_applies_to_and_no_other() -> None:
    """Its own programme's, and those whose contract shares it (same fact table name)."""
    from dataclasses import replace

    online = load_policy("shanghai-2022")
    for rule in RULES:
        mine = (rule.programme, *rule.shared_with)
        for programme in list_programmes():
            applies = replace(rule, when=None).applies_to(replace(online, programme=programme))
            assert applies == (programme in mine), f"{rule.id} and {programme}"
            if applies:
                tables = {q.name for q in facts.load_fact_queries(programme=programme)}
                assert rule.table in tables, f"{rule.id}: {programme} has no {rule.table}"


def test_shared_rules_are_the_voucher_contract_s_list() -> None:
    shared = {r.id for r in RULES if "training-voucher" in r.shared_with}
    assert shared == set(load_contract("training-voucher").shared_rules)
    assert shared == {"BAD_ROW", "BAD_TIMESTAMP", "ORPHAN_RECORD", "ID_INVALID",
                      "ENTERPRISE_ID_INVALID"}  # fmt: skip


def test_the_online_rules_are_today_s_checks_rules_and_facts_checks_facts() -> None:
    contract = load_contract("online-subsidy")
    assert contract.rules_dir == ROOT / "checks" / "rules"
    assert contract.facts_dir == ROOT / "checks" / "facts"
    assert [r.id for r in load_rules()] == sorted(p.stem for p in contract.rules_dir.glob("*.toml"))
    assert {r.programme for r in load_rules()} == {"online-subsidy"}


def test_every_rule_is_in_the_docs_and_has_a_case_file() -> None:
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    cases = ROOT / "tests" / "rules"
    for rule in RULES:
        assert f"`{rule.id}`" in docs
        # the online programme's cases in tests/rules/, another programme's in its own folder
        folder = cases if rule.programme == "online-subsidy" else cases / rule.programme
        assert (folder / f"{rule.id}.toml").is_file(), f"{rule.id}: no {folder}/{rule.id}.toml"


def test_no_two_rules_share_an_expectation() -> None:
    seen = {}
    for rule in RULES:
        key = (rule.table, rule.expectation_type, repr(sorted(rule.expectation_kwargs.items())))
        assert key not in seen, f"{rule.id} repeats {seen[key]}: GX would merge them"
        seen[key] = rule.id


@pytest.mark.parametrize("query", facts.load_fact_queries(), ids=lambda q: q.name)
def test_fact_sql_transpiles_to_spark(query) -> None:
    """The facts stay plain SQL: sqlglot can write each one for Spark."""
    import sqlglot

    [spark] = sqlglot.transpile(
        query.sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE
    )
    assert "SELECT" in spark.upper()


def test_policy_parameters_are_declared_as_data() -> None:
    """A new threshold needs a line in its programme's policy_schema.toml, not an edit of the core."""
    import tomllib

    from auditor.contract import programmes_dir
    from auditor.policy import PARAMETERS, REQUIREMENTS

    path = programmes_dir() / "online-subsidy" / "policy_schema.toml"
    schema = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [p.name for p in PARAMETERS] == list(schema["parameters"])
    assert schema["requires"] == REQUIREMENTS
    assert not list((ROOT / "checks" / "policies").glob("_*.toml"))  # no global schema left
