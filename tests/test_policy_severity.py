"""A profile may leave a signal's threshold to its default, override it, or raise its severity."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from auditor.errors import PolicyError
from auditor.pipeline import AuditOptions, audit
from auditor.policy import PARAMETERS, load_policy
from auditor.rules import load_rules, rules_for
from tests.exports import clean_world, write_export

SHANGHAI = Path(__file__).resolve().parent.parent / "checks" / "policies" / "shanghai-2022.toml"


def _profile(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(SHANGHAI.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


def test_defaults_apply_when_a_profile_is_silent() -> None:
    policy = load_policy("shanghai-2022")
    defaults = {p.name: p.default for p in PARAMETERS if p.default is not None}
    assert defaults["max_day_minutes"] == 600
    for name, value in defaults.items():
        assert policy.parameters[name] == value


def test_a_profile_overrides_a_default(tmp_path: Path) -> None:
    text = SHANGHAI.read_text(encoding="utf-8").replace(
        "[parameters]\n", "[parameters]\nmax_day_minutes = 480\n", 1
    )
    path = tmp_path / "strict.toml"
    path.write_text(text, encoding="utf-8")
    assert load_policy(path).parameters["max_day_minutes"] == 480


def test_signals_are_review_unless_a_profile_raises_them(tmp_path: Path) -> None:
    signals = [r for r in load_rules() if r.category == "authenticity"]
    assert len(signals) == 13 and {r.severity for r in signals} == {"review"}
    raised = load_policy(_profile(tmp_path, '[severity]\nSHARED_PHONE = "block"\n'))
    by_id = {r.id: r for r in rules_for(raised)}
    assert by_id["SHARED_PHONE"].severity == "block"
    assert by_id["LOCKSTEP"].severity == "review"


def test_a_raised_signal_makes_the_claim_unpayable(tmp_path: Path) -> None:
    world = clean_world("shanghai-2022")
    world["trainees"].append({**world["trainees"][0], "person_id": "310101199001015577",
                              "name": "王芳", "phone": "138 1234 5678"})  # fmt: skip
    export = write_export(tmp_path / "export", world)
    for severity, payable in (("review", "true"), ("block", "false")):
        out = tmp_path / severity
        policy = _profile(tmp_path, f'[severity]\nSHARED_PHONE = "{severity}"\n')
        audit(export, str(policy), out, AuditOptions(as_of=dt.date(2023, 6, 30), reports=False))
        with (out / "subsidy.csv").open(encoding="utf-8") as fh:
            assert [r["payable"] for r in csv.DictReader(fh)] == [payable]


def test_unknown_rules_and_severities_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="NO_SUCH_RULE"):
        rules_for(load_policy(_profile(tmp_path, '[severity]\nNO_SUCH_RULE = "block"\n')))
    with pytest.raises(PolicyError, match=r"\[severity\]"):
        load_policy(_profile(tmp_path, '[severity]\nLOCKSTEP = "fatal"\n'))


def test_every_signal_is_documented_with_questions() -> None:
    for rule in load_rules():
        if rule.category == "authenticity":
            assert rule.meaning and rule.innocent and rule.verify, rule.id
            assert rule.questions and all("{" not in q for q in rule.questions), rule.id
