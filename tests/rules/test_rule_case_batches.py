"""The rule cases merged into batches (tests/rules/batches.py) still give each case exactly its
own findings, so a batch audited on Spark covers every case (tests/test_spark_audit.py)."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import pytest
import stdnum.cn.ric as ric
import stdnum.cn.uscc as uscc
from hypothesis import given
from hypothesis import strategies as st

from tests.rules.batches import (
    SLOTS,
    findings_by_member,
    rename_other,
    rename_phone,
    rename_ric,
    rename_uscc,
    rule_case_batches,
    write_batch,
)
from tests.rules.test_rule_cases import CASES, check_case, findings

BATCHES = rule_case_batches()


def test_every_case_is_in_one_batch() -> None:
    members = [m.test_id for b in BATCHES for m in b.members]
    assert sorted(members) == sorted(name for _, name, _, _ in CASES)
    assert all(len(b.members) <= SLOTS for b in BATCHES)
    assert len({b.id for b in BATCHES}) == len(BATCHES)


@pytest.mark.parametrize("batch", BATCHES, ids=[b.id for b in BATCHES])
def test_batch_gives_each_case_its_findings(batch, tmp_path: Path) -> None:
    export, owner = write_batch(tmp_path / "export", batch)
    rows = findings(export, tmp_path / "out", batch.policy, batch.as_of, batch.case)
    for member, found in zip(batch.members, findings_by_member(batch, rows, owner), strict=True):
        try:
            check_case(member.rule_id, member.case, found)
        except AssertionError as error:
            raise AssertionError(f"{member.test_id} (slot {member.slot}): {error}") from error


# --- the renaming keeps what the rules read ---

rics = st.builds(
    lambda region, birth, order: f"{region}{birth:%Y%m%d}{order:03d}",
    st.sampled_from(["310101", "310104", "110105", "990000"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    st.integers(0, 999),
)


@given(rics, st.sampled_from(list("0123456789X")), st.integers(0, SLOTS - 1))
def test_resident_id_keeps_region_birth_sex_and_check_offset(
    body: str, check: str, slot: int
) -> None:
    old = body + check
    new = rename_ric(old, slot)
    assert new[:14] == old[:14] and new[16] == old[16] and new[14:16] == f"{slot:02d}"
    assert ric.is_valid(new) == ric.is_valid(old)
    assert (new[17] == ric.calc_check_digit(new)) == (old[17] == ric.calc_check_digit(old))
    assert rename_ric(f" {old} ", slot) == f" {new} "
    assert rename_ric(old.lower(), slot).upper() == new


@given(
    st.text("0123456789", min_size=8, max_size=8),
    st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=10, max_size=10),
    st.integers(0, SLOTS - 1),
)
def test_credit_code_keeps_its_validity(head: str, tail: str, slot: int) -> None:
    old = head + tail
    new = rename_uscc(old, slot)
    assert new[:10] == old[:10] and new[12:17] == old[12:17]
    assert uscc.is_valid(new) == uscc.is_valid(old)


@pytest.mark.parametrize("value", ["31010119900101123", "3101011990010112345", "31010119900101123A",
                                   "52310101MJ4912345", "9131000OMA1FL0LX3F"])  # fmt: skip
def test_malformed_ids_stay_malformed_and_distinct(value: str) -> None:
    for rename, valid in ((rename_ric, ric.is_valid), (rename_uscc, uscc.is_valid)):
        assert not valid(rename(value, 3))
        assert rename(value, 3) != rename(value, 4)


@given(st.text(string.digits + " +-", max_size=16), st.integers(0, SLOTS - 1))
def test_phone_keeps_its_digit_count(phone: str, slot: int) -> None:
    new = rename_phone(phone, slot)
    assert len(new) == len(phone)
    assert [c.isdigit() for c in new] == [c.isdigit() for c in phone]


def test_other_ids_keep_spaces_and_case() -> None:
    assert rename_other(" p1 ", 7) == " p1_07 "
    assert rename_other("P1", 7) == "P1_07"
    assert rename_other("电工", 12) == "电工_12"
