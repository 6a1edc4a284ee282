"""A policy profile names the programme it audits; an old profile without the key still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.contract import list_programmes
from auditor.errors import AuditorError, PolicyError
from auditor.pipeline import audit
from auditor.policy import list_policies, load_policy

SHANGHAI = Path(__file__).resolve().parent.parent / "checks" / "policies" / "shanghai-2022.toml"
LINE = 'programme = "online-subsidy"\n'


def _profile(tmp_path: Path, line: str) -> Path:
    text = SHANGHAI.read_text(encoding="utf-8")
    assert LINE in text
    path = tmp_path / "mine.toml"
    path.write_text(text.replace(LINE, line), encoding="utf-8")
    return path


def test_every_shipped_profile_names_its_programme_explicitly() -> None:
    found = list_policies()
    assert {p.id for p in found if p.programme == "online-subsidy"} >= {
        "shanghai-2022",
        "yingkou-2020",
    }
    for p in found:
        assert p.path is not None
        assert f'programme = "{p.programme}"' in p.path.read_text(encoding="utf-8"), p.id


def test_a_profile_without_programme_audits_the_online_one(tmp_path: Path) -> None:
    mine = load_policy(_profile(tmp_path, ""))
    assert mine.programme == "online-subsidy"
    assert mine.parameters == load_policy("shanghai-2022").parameters


def test_a_profile_may_name_the_voucher_programme(tmp_path: Path) -> None:
    assert load_policy(_profile(tmp_path, 'programme = "training-voucher"\n')).programme == (
        "training-voucher"
    )


@pytest.mark.parametrize(
    "value", ['"vouchers"', '"Online-Subsidy"', '""', "3", '["online-subsidy"]']
)
def test_an_unknown_programme_is_refused_naming_the_file_and_the_programmes(
    tmp_path: Path, value: str
) -> None:
    path = _profile(tmp_path, f"programme = {value}\n")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    message = str(err.value)
    assert message.startswith(f"policy file {path}: programme ")
    known = ", ".join(list_programmes())
    assert f"is unknown; programmes (checks/programmes/): {known}" in message
    assert "online-subsidy, training-voucher" in known


def test_auditing_a_programme_without_rules_yet_stops_before_reading(tmp_path: Path) -> None:
    policy = _profile(tmp_path, 'programme = "training-voucher"\n')
    out = tmp_path / "out"
    with pytest.raises(AuditorError) as err:
        audit(tmp_path / "no-export", policy, out)
    assert err.value.exit_code == 2
    assert "programme training-voucher has its export contract" in str(err.value)
    assert "audits online-subsidy only" in str(err.value)
    assert not out.exists()
