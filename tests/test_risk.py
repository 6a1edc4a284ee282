"""Risk ranking: which claims are flagged (from the rules' category), the score, risk.csv, index.

The authenticity signals themselves are not needed: these tests build their own findings, or
add a rule of category authenticity to a copy of the rules folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from auditor import rules as rules_module
from auditor.papers import write_papers
from auditor.pipeline import AuditOptions, audit
from auditor.policy import load_policy
from auditor.report import render_reports
from auditor.risk import RiskFormulaError, compute_risk, load_formula
from tests.test_report import SCHEMAS as REPORT_SCHEMAS

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2023, 6, 30)

# The pipeline's schemas (as tests/test_report.py builds them), with what risk and the papers
# read besides: the catalogue's questions, the claim's import time, rejects.
TABLES = {
    **REPORT_SCHEMAS,
    "claim_facts": "project_id VARCHAR, person_id VARCHAR, enterprise_id VARCHAR, "
    "credited_minutes DOUBLE, first_activity_at TIMESTAMP, last_activity_at TIMESTAMP, "
    "imported_at TIMESTAMP",
    "rule_catalogue": "rule_id VARCHAR, severity VARCHAR, summary VARCHAR, category VARCHAR, "
    "questions VARCHAR[]",
    "rejects": "source_table VARCHAR, file VARCHAR, source_row BIGINT, column_name VARCHAR, "
    "reason VARCHAR, enterprise_id VARCHAR, project_id VARCHAR, person_id VARCHAR",
}
CATALOGUE = [
    ("HOURS_SHORT", "block", "学时不足", "compliance", []),
    ("SIG_A", "review", "信号甲", "authenticity", ["问题甲一", "问题甲二"]),
    ("SIG_B", "review", "信号乙", "authenticity", ["问题乙"]),
]


def world(enterprises: dict[str, tuple[int, int]]) -> duckdb.DuckDBPyConnection:
    """An audit's tables: enterprise -> (claims, flagged by SIG_A), every claim payable 600."""
    con = duckdb.connect()
    for table, schema in TABLES.items():
        con.execute(f"CREATE TABLE {table} ({schema})")
    con.executemany("INSERT INTO rule_catalogue VALUES (?, ?, ?, ?, ?)", CATALOGUE)
    for e, (claims, flagged) in enterprises.items():
        con.execute("INSERT INTO enterprises VALUES (?, ?, '区', 'small', '')", [e, f"企业{e}"])
        for i in range(claims):
            person = f"{e}-{i:05d}"
            con.execute(
                "INSERT INTO subsidy VALUES (?, ?, ?, 600, true, 600, '')", [e, f"P{e}", person]
            )
            con.execute(
                "INSERT INTO trainees VALUES (?, ?, ?, ?, 'labor_contract', NULL, NULL)",
                [e, person, f"学员{i}", f"138{i:08d}"],
            )
            if i < flagged:
                add_finding(con, "SIG_A", e, f"P{e}", person)
    return con


def add_finding(con, rule_id: str, enterprise: str | None, project: str | None, person: str | None):
    n = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    con.execute(
        "INSERT INTO findings VALUES (?, ?, 'review', ?, ?, ?, '消息', '{}')",
        [f"F{n}", rule_id, enterprise, project, person],
    )


def ranking(con) -> list[tuple]:
    return con.execute(
        "SELECT enterprise_id, rank, score, claims, flagged_claims FROM risk ORDER BY rank"
    ).fetchall()


def test_a_small_enterprise_all_flagged_outranks_a_large_one_with_one_flag() -> None:
    con = world({"SMALL": (3, 3), "LARGE": (500, 1), "CLEAN": (50, 0)})
    compute_risk(con)
    assert [r[0] for r in ranking(con)] == ["SMALL", "LARGE", "CLEAN"]
    assert ranking(con)[2][2] == 0


def test_more_flagged_trainees_and_more_money_rank_higher() -> None:
    con = world({"A": (100, 10), "B": (100, 20), "C": (100, 40)})
    compute_risk(con)
    assert [r[0] for r in ranking(con)] == ["C", "B", "A"]
    # the same flags, but B's flagged claims are blocked already: less money at stake
    con.execute("UPDATE subsidy SET payable = false, verified_amount = 0 WHERE enterprise_id = 'B'")
    con.execute("UPDATE subsidy SET payable = false, verified_amount = 0 WHERE enterprise_id = 'A'")
    con.execute("UPDATE subsidy SET payable = true, verified_amount = 600 "
                "WHERE enterprise_id = 'A' AND person_id < 'A-00010'")  # fmt: skip
    compute_risk(con)
    money = dict(con.execute("SELECT enterprise_id, amount_at_stake FROM risk").fetchall())
    assert money == {"A": 6000, "B": 0, "C": 24000}


def test_breakdown_is_the_formula_term_by_term_and_adds_up_to_the_score() -> None:
    con = world({"E": (10, 4)})
    add_finding(con, "SIG_B", "E", "PE", "E-00000")  # a second signal on one claim
    add_finding(con, "HOURS_SHORT", "E", "PE", "E-00009")  # compliance: flags nothing
    compute_risk(con)
    terms = dict(con.execute("SELECT term, points FROM risk_terms").fetchall())
    assert float(terms["share"]) == round(40 * 4 / 10, 2)
    assert float(terms["flags"]) == round(15 * math.log(1 + 5), 2)  # 4 claims, one with 2 signals
    assert float(terms["money"]) == round(10 * math.log(1 + 2400 / 1000), 2)
    (score,) = con.execute("SELECT score FROM risk").fetchone()
    assert score == sum(terms.values())


def test_signal_weights_come_from_the_formula_file(tmp_path: Path) -> None:
    text = (ROOT / "checks" / "risk.toml").read_text(encoding="utf-8")
    weighted = tmp_path / "risk.toml"
    weighted.write_text(text.replace("[weights]\n", "[weights]\nSIG_A = 3\n"), encoding="utf-8")
    con = world({"E": (10, 2)})
    compute_risk(con, load_formula(weighted))
    assert con.execute("SELECT weighted_flags FROM risk").fetchone()[0] == 6


def test_a_person_level_finding_flags_each_of_the_persons_claims() -> None:
    con = world({"E": (2, 0), "F": (1, 0)})
    con.execute("INSERT INTO subsidy VALUES ('E', 'PE2', 'E-00000', 600, true, 600, '')")
    con.execute("INSERT INTO subsidy VALUES ('F', 'PF', 'E-00000', 600, true, 600, '')")
    add_finding(con, "SIG_B", "E", None, "E-00000")  # at enterprise E only
    add_finding(con, "SIG_A", None, None, "E-00001")  # no enterprise: wherever the person claims
    add_finding(con, "SIG_A", "E", None, None)  # enterprise-level: flags no claim
    compute_risk(con)
    flagged = con.execute(
        "SELECT project_id, person_id, signals FROM claim_flags ORDER BY ALL"
    ).fetchall()
    assert flagged == [
        ("PE", "E-00000", ["SIG_B"]),
        ("PE", "E-00001", ["SIG_A"]),
        ("PE2", "E-00000", ["SIG_B"]),
    ]


def test_risk_csv_columns_order_and_formula_safety(tmp_path: Path) -> None:
    con = world({"A": (4, 1), "B": (2, 2)})
    con.execute("UPDATE enterprises SET name = '=HYPERLINK(1)' WHERE enterprise_id = 'B'")
    add_finding(con, "SIG_B", "B", "PB", "B-00000")
    compute_risk(con)
    write_papers(con, tmp_path)
    with (tmp_path / "risk.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "rank", "enterprise_id", "name", "score", "claims", "flagged_claims", "amount_at_stake",
        "SIG_A", "SIG_B",
    ]  # fmt: skip
    assert [r[:3] for r in rows[1:]] == [["1", "B", "'=HYPERLINK(1)"], ["2", "A", "企业A"]]
    assert rows[1][4:] == ["2", "2", "1200.00", "2", "1"]


@pytest.mark.parametrize(
    "points",
    ["'a'", "(SELECT 1)", "unknown_figure", "risk.claims", "foo(claims)", "claims; DROP TABLE x"],
)
def test_formula_terms_may_use_only_figures_numbers_and_a_few_functions(
    tmp_path: Path, points: str
) -> None:
    path = tmp_path / "risk.toml"
    term = '[[terms]]\nname = "term"\nlabel = "l"\npoints = "{}"\n'
    path.write_text(term.format("least(ln(1 + claims), sqrt(signals)) / 2 - -1"), encoding="utf-8")
    assert load_formula(path).terms[0].points == "LEAST(LN(1 + claims), SQRT(signals)) / 2 - -1"
    path.write_text(term.format(points.replace('"', '\\"')), encoding="utf-8")
    with pytest.raises(RiskFormulaError, match=r"may use only|cannot parse"):
        load_formula(path)


def test_the_shipped_formula_loads_and_every_term_is_commented() -> None:
    formula = load_formula()
    assert [t.name for t in formula.terms] == ["share", "flags", "money"]
    text = (ROOT / "checks" / "risk.toml").read_text(encoding="utf-8")
    for term in formula.terms:
        after = text[text.index(f'name = "{term.name}"') :]
        assert re.search(r"points = .*\n# \S", after), f"term {term.name} has no comment"


def test_index_sorts_by_risk_score_and_page_shows_the_breakdown(tmp_path: Path) -> None:
    con = world({"LARGE": (500, 1), "SMALL": (3, 3), "UNPAID": (5, 0)})
    con.execute("UPDATE subsidy SET payable = false, verified_amount = 0 "
                "WHERE enterprise_id = 'UNPAID'")  # fmt: skip
    compute_risk(con)
    render_reports(con, tmp_path, load_policy("shanghai-2022"))
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    table = index[index.index('id="enterprises"') :]
    assert re.findall(r'href="enterprises/([A-Z]+)\.html"', table) == ["SMALL", "LARGE", "UNPAID"]
    page = (tmp_path / "enterprises" / "SMALL.html").read_text(encoding="utf-8")
    terms = con.execute("SELECT label, points FROM risk_terms WHERE enterprise_id = 'SMALL' "
                        "ORDER BY term_order").fetchall()  # fmt: skip
    for label, points in terms:
        assert re.search(
            rf"<td>{label}</td><td><code>[^<]+</code></td><td class=\"num\">{points}<", page
        )
    assert (
        "在 3 家企业中排第 1 位" in page
        and '<td>SIG_A</td><td>信号甲</td><td class="num">3<' in page
    )


@pytest.fixture(scope="module")
def signal_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped rules plus FAKE_SIGNAL, of category authenticity, on a real fact column."""
    folder = tmp_path_factory.mktemp("rules")
    for path in (ROOT / "checks" / "rules").glob("*.toml"):
        shutil.copy(path, folder)
    (folder / "FAKE_SIGNAL.toml").write_text(
        """severity = "review"
category = "authenticity"
table = "claim_facts"
summary = "测试信号：签到少于 6 次"
message = "签到 {signin_count} 次"
evidence = ["signin_count"]
questions = ["您每天都签到了吗？"]
[expectation]
type = "expect_column_values_to_be_between"
kwargs = { column = "signin_count", min_value = 6 }
""",
        encoding="utf-8",
    )
    return folder


def test_the_pipeline_flags_claims_by_rule_category(
    signal_rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules_module, "rules_dir", lambda *_: signal_rules)
    audit(ROOT / "sample_exports", "shanghai-2022", tmp_path / "out",
          AuditOptions(as_of=AS_OF, reports=False))  # fmt: skip
    con = duckdb.connect(str(tmp_path / "out" / "audit.duckdb"), read_only=True)
    fired = set(
        con.execute(
            "SELECT project_id, person_id FROM findings f JOIN subsidy s USING (project_id, person_id) "
            "WHERE rule_id = 'FAKE_SIGNAL'"
        ).fetchall()
    )
    flagged = set(con.execute("SELECT project_id, person_id FROM claim_flags").fetchall())
    signalled = set(
        con.execute(
            "SELECT project_id, person_id FROM findings f JOIN subsidy s USING (project_id, person_id) "
            "JOIN rule_catalogue c USING (rule_id) WHERE c.category = 'authenticity'"
        ).fetchall()
    )
    assert fired and fired <= flagged and flagged == signalled
    assert con.execute(
        "SELECT category, questions FROM rule_catalogue WHERE rule_id = 'FAKE_SIGNAL'"
    ).fetchone() == ("authenticity", ["您每天都签到了吗？"])
    with (tmp_path / "out" / "risk.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert "FAKE_SIGNAL" in list(rows[0])
    # a claim of a project no enterprise filed is flagged, but ranks no enterprise
    ranked = con.execute("SELECT count(*) FROM claim_flags WHERE enterprise_id IS NOT NULL")
    assert sum(int(r["flagged_claims"]) for r in rows) == ranked.fetchone()[0]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert [float(r["score"]) for r in rows] == sorted(
        (float(r["score"]) for r in rows), reverse=True
    )
