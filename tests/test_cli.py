"""The command line: exit statuses 0/1/2, one-line errors, the catalogue commands."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from auditor.cli import cli
from tests.exports import clean_world, write_export


def _audit(export: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        cli,
        ["audit", str(export), "--policy", "shanghai-2022", "--out", str(out),
         "--as-of", "2023-06-30", "--no-reports", "--quiet", *extra],
    )  # fmt: skip


def test_clean_export_exits_0(tmp_path: Path) -> None:
    result = _audit(write_export(tmp_path / "e", clean_world("shanghai-2022")), tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "1 claims, 1 payable" in result.output
    assert (tmp_path / "out" / "findings.csv").is_file()


def test_blocking_finding_exits_1(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["exams"] = []
    result = _audit(write_export(tmp_path / "e", rows), tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "0 payable" in result.output


def test_review_only_exits_0(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["claims"][0]["amount"] = 601
    result = _audit(write_export(tmp_path / "e", rows), tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "1 review" in result.output


def test_bad_row_is_a_finding_and_strict_makes_it_exit_2(tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["claims"].append({**rows["claims"][0], "project_id": "P2", "amount": "六百"})
    export = write_export(tmp_path / "e", rows)
    lenient = _audit(export, tmp_path / "lenient")
    assert lenient.exit_code == 0, lenient.output
    assert "1 review" in lenient.output
    assert "BAD_ROW" in (tmp_path / "lenient" / "findings.csv").read_text(encoding="utf-8")
    result = _audit(export, tmp_path / "out", "--strict")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: file claims.csv, row 2, column amount: value is empty or cannot be read as "
        "decimal (1 row(s) rejected in all; see rejects.csv)",
        "no output was written; an earlier OUT, if any, is untouched",
    ]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_policy_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["audit", str(tmp_path), "--policy", "nowhere-1999", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "shipped policies: shanghai-2022, shanghai-voucher-2021, yingkou-2020" in result.output


def test_missing_export_dir_exits_2(tmp_path: Path) -> None:
    result = _audit(tmp_path / "nothing", tmp_path / "out")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_usage_error_exits_2() -> None:
    assert CliRunner().invoke(cli, ["audit"]).exit_code == 2


def test_failed_run_leaves_earlier_out_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _audit(write_export(tmp_path / "e", clean_world("shanghai-2022")), out).exit_code == 0
    before = (out / "subsidy.csv").read_bytes()
    (tmp_path / "e" / "claims.csv").write_text("project_id\n", encoding="utf-8")  # no columns
    assert _audit(tmp_path / "e", out).exit_code == 2
    assert (out / "subsidy.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_policies_and_rules_list() -> None:
    runner = CliRunner()
    policies = runner.invoke(cli, ["policies"])
    assert policies.exit_code == 0 and "shanghai-2022" in policies.output
    yingkou = runner.invoke(cli, ["rules", "--policy", "yingkou-2020"])
    assert "SIZE_INELIGIBLE" in yingkou.output and "NO_QA" not in yingkou.output
    shanghai = runner.invoke(cli, ["rules", "--policy", "shanghai-2022"])
    assert "NO_QA" in shanghai.output and "SIZE_INELIGIBLE" not in shanghai.output
    assert "shanghai-voucher-2021\t上海市 2021 年职业培训券\tregistration_lead_days=3" in (
        policies.output
    )
    vouchers = runner.invoke(cli, ["rules", "--policy", "shanghai-voucher-2021"])
    listed = {line.split("\t")[0] for line in vouchers.output.splitlines()}
    assert vouchers.exit_code == 0 and len(listed) == 18
    assert {"CHECKIN_OFF_SITE", "BAD_ROW", "ID_INVALID"} <= listed  # its own and shared ones
    assert "NO_QA" not in listed and "HOURS_SHORT" not in listed  # no online-only rule
    orphan = next(line for line in vouchers.output.splitlines() if line.startswith("ORPHAN"))
    assert "签到记录" in orphan  # a shared rule in the voucher contract's wording


def test_auditing_with_the_voucher_profile_asks_for_the_voucher_tables(tmp_path: Path) -> None:
    write_export(tmp_path / "e", clean_world("shanghai-2022"))  # an online export
    result = CliRunner().invoke(
        cli,
        ["audit", str(tmp_path / "e"), "--policy", "shanghai-voucher-2021", "--out",
         str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "missing table file(s): vouchers{" in result.output
    assert not (tmp_path / "o").exists()


def test_user_policy_file_is_validated(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text('title = "x"\n[parameters]\nsubsidy_yuan = "six hundred"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "--policy", str(bad)])
    assert result.exit_code == 2
    assert "subsidy_yuan must be int" in result.output


def test_verify_detects_a_changed_input(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    assert _audit(export, tmp_path / "out").exit_code == 0
    same = CliRunner().invoke(cli, ["verify", str(tmp_path / "out")])
    assert same.exit_code == 0, same.output
    assert "8 of 8 inputs unchanged" in same.output
    (export / "study_sessions.csv").write_text(
        (export / "study_sessions.csv").read_text(encoding="utf-8").replace("20:00:00", "21:00:00"),
        encoding="utf-8",
    )
    changed = CliRunner().invoke(cli, ["verify", str(tmp_path / "out")])
    assert changed.exit_code == 1
    assert f"changed\t{export / 'study_sessions.csv'}" in changed.output


def test_verify_of_a_folder_that_is_no_audit_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert result.exit_code == 2
    assert "manifest.json does not exist" in result.output


def test_templates_override_the_shipped_ones_by_name(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_summary.html.j2").write_text(
        "<p>区人社局定制摘要 {{ claims }}</p>", encoding="utf-8"
    )
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    result = CliRunner().invoke(
        cli,
        ["audit", str(export), "--policy", "shanghai-2022", "--out", str(tmp_path / "out"),
         "--as-of", "2023-06-30", "--templates", str(templates)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "区人社局定制摘要 1" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "… reports 1/1" in result.output


def test_a_bad_id_mask_is_a_usage_error(tmp_path: Path) -> None:
    result = _audit(tmp_path, tmp_path / "out", "--id-mask", "six")
    assert result.exit_code == 2
    assert "must look like 6*4" in result.output


def test_rules_as_gx_suites() -> None:
    import json

    result = CliRunner().invoke(cli, ["rules", "--policy", "yingkou-2020", "--gx-json"])
    assert result.exit_code == 0, result.output
    suites = {s["name"]: s for s in json.loads(result.output)}
    rule_ids = {e["meta"]["rule_id"] for s in suites.values() for e in s["expectations"]}
    assert "SIZE_INELIGIBLE" in rule_ids and "NO_QA" not in rule_ids
    hours = next(
        e for e in suites["claim_facts"]["expectations"] if e["meta"]["rule_id"] == "HOURS_SHORT"
    )
    assert hours["kwargs"]["min_value"] == {"$PARAMETER": "min_study_minutes"}
