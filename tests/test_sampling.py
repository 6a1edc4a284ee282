"""The call-back sample and the estimate from its answers.

The design is checked on its own (exact inclusion probabilities, fixed size), then by simulation:
a population in which we know which claims were not genuine, many seeded samples filled from the
truth, the 95 % interval covering the truth in about 95 % of them, and a census exact. Then the
commands on a real audit whose findings are planted (no authenticity rule is needed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import shutil
from collections import Counter
from fractions import Fraction
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.errors import SampleError
from auditor.estimate import Answer, deville_variance, estimate
from auditor.papers import write_papers
from auditor.pipeline import AuditOptions, audit
from auditor.risk import compute_risk
from auditor.rules import load_rules
from auditor.sampling import (
    FLAGGED,
    RANDOM,
    SAMPLE_COLUMNS,
    Stream,
    Unit,
    allocate,
    draw,
    pps_probabilities,
    systematic,
)

ROOT = Path(__file__).resolve().parent.parent

# --- the design ------------------------------------------------------------------------------


def test_pps_probabilities_are_proportional_capped_at_one_and_sum_to_n() -> None:
    probs = pps_probabilities([100, 100, 100, 10_000, 200], 3)
    assert sum(probs) == 3
    assert probs[3] == 1  # would be 2.88: certain, the other two draws shared among the rest
    assert probs[:3] == [Fraction(2, 5)] * 3 and probs[4] == Fraction(4, 5)
    assert pps_probabilities([5, 5], 2) == [1, 1]


def test_systematic_draws_exactly_n_with_the_stated_probabilities() -> None:
    sizes = [100, 250, 100, 731, 400, 100, 990, 120]
    probs = pps_probabilities(sizes, 3)
    counts: Counter[int] = Counter()
    reps = 4000
    for seed in range(reps):
        chosen = systematic(probs, 3, Stream(seed))
        assert len(chosen) == 3 == len(set(chosen))
        counts.update(chosen)
    for i, p in enumerate(probs):
        assert (
            abs(counts[i] / reps - float(p)) < 4 * (float(p) * (1 - float(p)) / reps) ** 0.5 + 1e-9
        )


def test_allocation_gives_a_fifth_to_the_random_part_and_refuses_impossible_sizes() -> None:
    assert allocate(100, 500, 5000, 0.2) == (80, 20)
    assert allocate(100, 30, 5000, 0.2) == (30, 70)  # few flagged: the rest is random
    assert allocate(100, 500, 10, 0.2) == (90, 10)
    assert allocate(7, 5, 2, 0.2) == (5, 2)  # census
    with pytest.raises(SampleError, match="larger than the population"):
        allocate(8, 5, 2, 0.2)
    with pytest.raises(SampleError, match="at least 1"):
        allocate(0, 5, 2, 0.2)


def test_deville_variance_is_the_srswor_variance_for_equal_probabilities() -> None:
    values = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    n, big_n = len(values), 40
    mean = sum(values) / n
    s2 = sum((v - mean) ** 2 for v in values) / (n - 1)
    expected = big_n**2 * (1 - n / big_n) * s2 / n
    assert deville_variance([(n / big_n, v) for v in values]) == pytest.approx(expected)
    assert deville_variance([(1.0, 1.0), (1.0, 0.0)]) == 0


# --- simulation: a population whose truth is known -------------------------------------------


def population(seed: int = 7) -> tuple[list[Unit], dict[tuple[str, str], bool]]:
    """2,000 claims at 8 enterprises; flagged claims are more often fake, and more so at the
    riskier enterprises; some flagged claims are blocked (0 yuan)."""
    rng = random.Random(seed)
    units, fake = [], {}
    for e in range(8):
        score = 10 + 12 * e  # enterprise 7 is the riskiest
        for i in range(250):
            flagged = i < 20 + 10 * e
            unit = Unit(
                enterprise_id=f"E{e}",
                project_id=f"P{e}",
                person_id=f"{e}-{i:04d}",
                flagged=flagged,
                rank=8 - e,
                size=100 + score * 100,
                verified_amount=0.0 if flagged and i % 7 == 0 else 600.0,
            )
            units.append(unit)
            rate = 0.15 + 0.08 * e if flagged else 0.10
            fake[(unit.project_id, unit.person_id)] = rng.random() < rate
    return units, fake


def fill(picked, fake, unreached: float = 0.0, seed: int = 0) -> list[Answer]:
    rng = random.Random(seed)
    answers = []
    for d in picked:
        reached = rng.random() >= unreached
        genuine = not fake[(d.unit.project_id, d.unit.person_id)]
        answers.append(
            Answer(d.stratum, float(d.probability), d.unit.verified_amount, reached,
                   genuine if reached else None)
        )  # fmt: skip
    return answers


def coverage(size: int, share: float, reps: int = 400) -> tuple[float, float, list[float]]:
    """Share of `reps` seeded samples whose intervals cover the true count and yuan."""
    units, fake = population()
    true_claims = sum(fake.values())
    true_yuan = sum(u.verified_amount for u in units if fake[(u.project_id, u.person_id)])
    covered_claims = covered_yuan = 0
    estimates = []
    for seed in range(reps):
        picked, _design = draw(units, size, seed, share)
        result = estimate(fill(picked, fake))
        covered_claims += result.claims.low <= true_claims <= result.claims.high
        covered_yuan += result.yuan.low <= true_yuan <= result.yuan.high
        estimates.append(result.claims.estimate - true_claims)
    return covered_claims / reps, covered_yuan / reps, estimates


def test_the_95_interval_covers_the_truth_in_about_95_of_400_samples() -> None:
    claims, yuan, errors = coverage(400, 0.5)  # 200 random claims: ~22 fakes expected
    assert 0.93 <= claims <= 0.97 and 0.93 <= yuan <= 0.97, (claims, yuan)
    # unbiased: the mean error is within 3 standard errors of 0
    mean = sum(errors) / len(errors)
    sd = (sum((x - mean) ** 2 for x in errors) / (len(errors) - 1)) ** 0.5
    assert abs(mean) < 3 * sd / len(errors) ** 0.5


def test_with_few_fakes_in_the_random_part_the_normal_interval_undercovers_a_little() -> None:
    """Documented in docs/sampling.md: 80 random claims, ~8.8 fakes expected: about 92 %."""
    claims, yuan, _errors = coverage(400, 0.2)
    assert 0.90 <= claims <= 0.95 and 0.90 <= yuan <= 0.95, (claims, yuan)


def test_a_census_gives_the_exact_figures_with_no_uncertainty() -> None:
    units, fake = population()
    picked, design = draw(units, len(units), 1, 0.2)
    assert design.sample == design.frame and all(d.probability == 1 for d in picked)
    result = estimate(fill(picked, fake))
    true_yuan = sum(u.verified_amount for u in units if fake[(u.project_id, u.person_id)])
    assert result.claims.estimate == result.claims.low == result.claims.high == sum(fake.values())
    assert result.yuan.estimate == result.yuan.low == result.yuan.high == true_yuan


def test_unreached_trainees_are_taken_like_the_reached_of_their_stratum() -> None:
    units, fake = population()
    picked, _design = draw(units, 300, 3, 0.2)
    full = estimate(fill(picked, fake))
    partial = estimate(fill(picked, fake, unreached=0.3, seed=5))
    assert sum(partial.reached.values()) < sum(full.reached.values())
    assert partial.claims.standard_error > full.claims.standard_error
    assert abs(partial.claims.estimate - full.claims.estimate) < 4 * partial.claims.standard_error


def test_the_flagged_part_follows_enterprise_risk() -> None:
    units, _fake = population()
    picked, design = draw(units, 200, 11, 0.2)
    per = Counter(d.unit.enterprise_id for d in picked if d.stratum == FLAGGED)
    share = {e: per[e] / sum(1 for u in units if u.flagged and u.enterprise_id == e) for e in per}
    assert share["E7"] > share["E3"] > share["E0"]  # riskier enterprises: higher chance
    assert design.sample == {FLAGGED: 160, RANDOM: 40}


# --- the commands on an audit ------------------------------------------------------------------


@pytest.fixture(scope="module")
def audit_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample export's audit with two planted signals on 8 claims."""
    out = tmp_path_factory.mktemp("sampling") / "out"
    audit(ROOT / "sample_exports", "shanghai-2022", out,
          AuditOptions(as_of=dt.date(2023, 6, 30), reports=False))  # fmt: skip
    con = duckdb.connect(str(out / "audit.duckdb"))
    # NOTE: the sample's own signals are replaced by planted ones, so the counts below are known.
    con.execute(
        "DELETE FROM findings WHERE rule_id IN "
        "(SELECT rule_id FROM rule_catalogue WHERE category = 'authenticity')"
    )
    claims = con.execute(
        "SELECT enterprise_id, project_id, person_id FROM subsidy "
        "WHERE enterprise_id IS NOT NULL ORDER BY ALL"
    ).fetchall()
    for i, (e, p, person) in enumerate(claims[:8]):
        rule = "SHARED_DEVICE" if i % 2 else "EXAM_TOO_FAST"
        con.execute(
            "INSERT INTO findings VALUES (?, ?, 'review', ?, ?, ?, '消息', '{}')",
            [f"X{i}", rule, e, p, person],
        )
    compute_risk(con)
    write_papers(con, out)
    con.close()
    return out


SHARED_DEVICE_QUESTION = next(r for r in load_rules() if r.id == "SHARED_DEVICE").questions[0]


def run(*args: str):
    return CliRunner().invoke(cli, [*args])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_sample_is_byte_identical_for_the_same_out_size_and_seed(
    audit_out: Path, tmp_path: Path
) -> None:
    result = run("sample", str(audit_out), "--size", "10", "--seed", "42")
    assert result.exit_code == 0, result.output
    files = {n: (audit_out / "sample" / n).read_bytes() for n in ("callback_sample.csv",
                                                                   "callback_sample.xlsx")}  # fmt: skip
    copy = tmp_path / "copy"
    shutil.copytree(audit_out, copy, ignore=shutil.ignore_patterns("sample"))
    assert run("sample", str(copy), "--size", "10", "--seed", "42").exit_code == 0
    for name, data in files.items():
        assert (copy / "sample" / name).read_bytes() == data, name
    assert run("sample", str(copy), "--size", "10", "--seed", "43").exit_code == 0
    assert (copy / "sample" / "callback_sample.csv").read_bytes() != files["callback_sample.csv"]


def test_sample_rows_carry_identity_flags_questions_and_probabilities(audit_out: Path) -> None:
    assert run("sample", str(audit_out), "--size", "10", "--seed", "1").exit_code == 0
    rows = read_csv(audit_out / "sample" / "callback_sample.csv")
    assert list(rows[0]) == list(SAMPLE_COLUMNS)
    assert Counter(r["stratum"] for r in rows) == {FLAGGED: 8, RANDOM: 2}
    con = duckdb.connect(str(audit_out / "audit.duckdb"), read_only=True)
    flagged = {(p, q): s for p, q, s in con.execute(
        "SELECT project_id, person_id, array_to_string(signals, ',') FROM claim_flags").fetchall()}  # fmt: skip
    payable = {(p, q) for p, q in con.execute(
        "SELECT project_id, person_id FROM subsidy WHERE payable").fetchall()}  # fmt: skip
    con.close()
    for r in rows:
        key = (r["project_id"], r["person_id"])
        assert r["person_id_masked"] == r["person_id"][:6] + "********" + r["person_id"][-4:]
        # 周国庆 and 冯雪 left their phones empty on the roster (the SHARED_PHONE look-alike)
        assert r["name"] and len(r["phone"]) == (0 if r["name"] in ("周国庆", "冯雪") else 11)
        assert r["first_day"] <= r["last_day"]
        assert r["questions"].startswith("1. 请问您本人是否参加过")
        assert r["reached"] == r["trained_genuinely"] == r["note"] == ""
        if r["stratum"] == FLAGGED:
            assert r["signals"] == flagged[key]
            assert (f"【SHARED_DEVICE】{SHARED_DEVICE_QUESTION}" in r["questions"]) == (
                "SHARED_DEVICE" in r["signals"]
            )
            assert r["inclusion_probability"] == "1"  # 8 flagged claims, 8 drawn
        else:
            assert key in payable and key not in flagged and r["signals"] == ""
            assert float(r["inclusion_probability"]) == pytest.approx(
                2 / len(payable - set(flagged))
            )


def test_estimate_on_a_filled_sheet(audit_out: Path) -> None:
    assert run("sample", str(audit_out), "--size", "10", "--seed", "5").exit_code == 0
    path = audit_out / "sample" / "callback_sample.xlsx"
    filled = fill_sheet(
        path, path.with_name("filled.xlsx"), lambda i, row: ("是", "否" if i < 3 else "是")
    )
    result = run("estimate", str(filled), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sampled"] == {FLAGGED: 8, RANDOM: 2} and data["reached"] == data["sampled"]
    assert data["claims"]["estimate"] >= 3 and data["claims"]["low"] >= 3  # found 3 for sure
    text = run("estimate", str(filled))
    assert text.exit_code == 0 and "claims not genuine:" in text.output and "95% CI" in text.output


def fill_sheet(source: Path, target: Path, answer) -> Path:
    """Copy a sample workbook with (reached, trained_genuinely) = answer(i, row) on each row."""
    book = openpyxl.load_workbook(source)
    sheet = book["sample"]
    header = [c.value for c in sheet[1]]
    for i, row in enumerate(sheet.iter_rows(min_row=2)):
        reached, genuine = answer(i, row)
        row[header.index("reached")].value = reached
        row[header.index("trained_genuinely")].value = genuine
    book.save(target)
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.delete_cols(21), "missing columns trained_genuinely"),
        (lambda s: setattr(s["T2"], "value", "maybe"), "row 2: reached must be yes or no"),
        (lambda s: setattr(s["T3"], "value", None), "row 3: reached is empty"),
        (lambda s: setattr(s["U2"], "value", None), "trained_genuinely is empty"),
        (lambda s: s.delete_rows(3), "but 8 were drawn"),
        (lambda s: setattr(s["C2"], "value", "1.5"), "inclusion_probability must be in"),
    ],
)
def test_estimate_refuses_a_sheet_it_cannot_trust(
    audit_out: Path, tmp_path: Path, change, message
) -> None:
    assert run("sample", str(audit_out), "--size", "10", "--seed", "5").exit_code == 0
    filled = fill_sheet(audit_out / "sample" / "callback_sample.xlsx", tmp_path / "f.xlsx",
                        lambda i, row: ("yes", "yes"))  # fmt: skip
    assert SAMPLE_COLUMNS.index("reached") == 19  # column T; trained_genuinely U
    book = openpyxl.load_workbook(filled)
    change(book["sample"])
    book.save(filled)
    result = run("estimate", str(filled))
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_sample_refuses_what_is_not_a_usable_audit(audit_out: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("sample", str(tmp_path / "empty"), "--size", "5", "--seed", "1")
    assert result.exit_code == 2 and "not an audit" in result.output
    redacted = tmp_path / "redacted"
    shutil.copytree(audit_out, redacted)
    (redacted / "audit.duckdb").unlink()
    result = run("sample", str(redacted), "--size", "5", "--seed", "1")
    assert result.exit_code == 2 and "redacted audit" in result.output
    result = run("sample", str(audit_out), "--size", "100000", "--seed", "1")
    assert result.exit_code == 2 and "larger than the population" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = run("estimate", str(tmp_path / "nothing.xlsx"))
    assert result.exit_code == 2 and "does not exist" in result.output
    for bad in (["--size", "0"], ["--seed", "-1"], ["--unflagged-share", "1.5"]):
        args = {"--size": "5", "--seed": "1"} | dict(zip(bad[::2], bad[1::2], strict=True))
        result = run("sample", str(audit_out), *(x for kv in args.items() for x in kv))
        assert result.exit_code == 2 and "Traceback" not in result.output, bad


def test_sample_cells_are_formula_safe(audit_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(audit_out, out, ignore=shutil.ignore_patterns("sample"))
    con = duckdb.connect(str(out / "audit.duckdb"))
    con.execute("UPDATE trainees SET name = '=HYPERLINK(\"x\")'")
    con.close()
    assert run("sample", str(out), "--size", "10", "--seed", "1").exit_code == 0
    rows = read_csv(out / "sample" / "callback_sample.csv")
    assert {r["name"] for r in rows} == {'\'=HYPERLINK("x")'}
    sheet = openpyxl.load_workbook(out / "sample" / "callback_sample.xlsx")["sample"]
    assert sheet["G2"].value == '\'=HYPERLINK("x")'


def test_estimate_reads_a_filled_csv_like_the_xlsx(audit_out: Path, tmp_path: Path) -> None:
    assert run("sample", str(audit_out), "--size", "10", "--seed", "9").exit_code == 0
    rows = read_csv(audit_out / "sample" / "callback_sample.csv")
    for i, r in enumerate(rows):
        r["reached"], r["trained_genuinely"] = (
            ("否", "") if i == 0 else ("是", "否" if i < 4 else "是")
        )
    filled = tmp_path / "filled.csv"
    with filled.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(SAMPLE_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    xlsx = fill_sheet(
        audit_out / "sample" / "callback_sample.xlsx",
        tmp_path / "filled.xlsx",
        lambda i, row: ("否", None) if i == 0 else ("是", "否" if i < 4 else "是"),
    )
    from_csv = json.loads(run("estimate", str(filled), "--json").output)
    from_xlsx = json.loads(run("estimate", str(xlsx), "--json").output)
    assert from_csv["claims"]["estimate"] == from_xlsx["claims"]["estimate"]
    assert from_csv["reached"] == {FLAGGED: 7, RANDOM: 2} and from_csv["not_genuine"][FLAGGED] == 3


def test_auditor_estimate_on_a_census_gives_the_true_figures(
    audit_out: Path, tmp_path: Path
) -> None:
    """End to end: a truth for every claim of the frame, the whole frame drawn, filled, estimated."""
    con = duckdb.connect(str(audit_out / "audit.duckdb"), read_only=True)
    frame = con.execute(
        "SELECT count(*) FROM subsidy s LEFT JOIN claim_flags c USING (project_id, person_id) "
        "WHERE s.payable OR c.project_id IS NOT NULL"
    ).fetchone()[0]
    con.close()
    out = tmp_path / "out"
    shutil.copytree(audit_out, out, ignore=shutil.ignore_patterns("sample"))
    assert run("sample", str(out), "--size", str(frame), "--seed", "3").exit_code == 0
    rows = read_csv(out / "sample" / "callback_sample.csv")
    fake = {r["sample_no"]: int(r["person_id"][-2], 36) % 3 == 0 for r in rows}  # the truth
    assert 0 < sum(fake.values()) < len(rows)
    filled = fill_sheet(
        out / "sample" / "callback_sample.xlsx",
        tmp_path / "census.xlsx",
        lambda i, row: ("yes", "no" if fake[str(row[0].value)] else "yes"),
    )
    result = json.loads(run("estimate", str(filled), "--json").output)
    true_yuan = sum(float(r["verified_amount"]) for r in rows if fake[r["sample_no"]])
    assert result["claims"] == {"estimate": sum(fake.values()), "standard_error": 0.0,
                                "low": sum(fake.values()), "high": sum(fake.values())}  # fmt: skip
    assert (
        result["yuan"]["estimate"] == result["yuan"]["low"] == result["yuan"]["high"] == true_yuan
    )


def test_a_filled_csv_with_a_quote_left_open_is_refused_not_shortened(
    audit_out: Path, tmp_path: Path
) -> None:
    """Python's csv reader would read the rest of the file into one note: 3 answers, not 10."""
    assert run("sample", str(audit_out), "--size", "10", "--seed", "9").exit_code == 0
    rows = read_csv(audit_out / "sample" / "callback_sample.csv")
    for r in rows:
        r["questions"] = r["questions"].replace("\n", " ")  # one physical line a row
        r["reached"], r["trained_genuinely"] = "是", "否"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(SAMPLE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    lines = text.getvalue().split("\n")
    assert lines[3].endswith(",是,否,")
    lines[3] += '"说是同事代学'  # the note's quote is never closed
    filled = tmp_path / "filled.csv"
    filled.write_text("\n".join(lines), encoding="utf-8")
    result = run("estimate", str(filled))
    assert result.exit_code == 2 and "line 4: not valid CSV" in result.output
