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
    assert {p.id for p in found if p.programme == "training-voucher"} == {"shanghai-voucher-2021"}
    for p in found:
        assert p.path is not None
        assert f'programme = "{p.programme}"' in p.path.read_text(encoding="utf-8"), p.id


def test_a_profile_without_programme_audits_the_online_one(tmp_path: Path) -> None:
    mine = load_policy(_profile(tmp_path, ""))
    assert mine.programme == "online-subsidy"
    assert mine.parameters == load_policy("shanghai-2022").parameters


VOUCHER_PARAMETERS = (
    "registration_lead_days = 3\ncheckin_minutes_before = 60\ncheckin_minutes_after = 15\n"
)


def _voucher_profile(tmp_path: Path, parameters: str) -> Path:
    path = tmp_path / "vouchers.toml"
    path.write_text(
        f'programme = "training-voucher"\ntitle = "t"\n[parameters]\n{parameters}',
        encoding="utf-8",
    )
    return path


def test_a_voucher_profile_is_validated_against_the_voucher_schema(tmp_path: Path) -> None:
    policy = load_policy(_voucher_profile(tmp_path, VOUCHER_PARAMETERS))
    assert policy.programme == "training-voucher"
    assert policy.parameters == {
        "registration_lead_days": 3,
        "checkin_minutes_before": 60,
        "checkin_minutes_after": 15,
    }
    assert policy.requires == {}


def test_a_voucher_profile_lacking_its_required_parameter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"parameter registration_lead_days .* is required"):
        load_policy(_voucher_profile(tmp_path, ""))


def test_an_online_profile_renamed_to_vouchers_fails_on_the_online_parameters(
    tmp_path: Path,
) -> None:
    """Each programme's schema is its own: subsidy_yuan means nothing to vouchers."""
    with pytest.raises(PolicyError) as err:
        load_policy(_profile(tmp_path, 'programme = "training-voucher"\n'))
    assert "unknown parameters ['import_deadline_workdays', " in str(err.value)
    assert "'subsidy_yuan', 'window_months'] for programme" in str(err.value)
    assert (
        "for programme training-voucher; known: ['checkin_minutes_after', "
        "'checkin_minutes_before', 'registration_lead_days']" in str(err.value)
    )


def test_an_online_requirement_is_unknown_to_vouchers(tmp_path: Path) -> None:
    path = _voucher_profile(tmp_path, VOUCHER_PARAMETERS + "[requires]\nqa = true\n")
    with pytest.raises(PolicyError, match=r"\[requires\] takes only \[\] \(programme training"):
        load_policy(path)


def test_a_programme_without_a_schema_cannot_have_profiles(tmp_path, monkeypatch) -> None:
    from auditor import policy as policy_module

    folder = tmp_path / "programmes" / "training-voucher"
    folder.mkdir(parents=True)
    monkeypatch.setattr(policy_module, "programmes_dir", lambda: tmp_path / "programmes")
    policy_module.load_schema.cache_clear()
    try:
        with pytest.raises(PolicyError, match="programme training-voucher has no parameter schema"):
            policy_module.load_schema("training-voucher")
    finally:
        policy_module.load_schema.cache_clear()


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


def test_a_voucher_profile_audits_the_voucher_tables_and_checks_the_export_first(
    tmp_path: Path,
) -> None:
    """A user's voucher profile runs the voucher programme; a missing export stops it early."""
    policy = _voucher_profile(tmp_path, VOUCHER_PARAMETERS)
    out = tmp_path / "out"
    with pytest.raises(AuditorError) as err:
        audit(tmp_path / "no-export", policy, out)
    assert err.value.exit_code == 2
    assert "does not exist" in str(err.value)
    assert not out.exists()
