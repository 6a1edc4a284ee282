"""The resident-ID check's fast path gives python-stdnum's own answer for every input."""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from auditor.sqlfuncs import EARLIEST_BIRTH_YEAR, is_valid_ric

TODAY = dt.date(2026, 11, 30)


def stdnum_answer(number: str) -> bool:
    """is_valid_ric as written with stdnum alone (compact, check digit, birth date)."""
    number = ric.compact(number)
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        if number[17] != ric.calc_check_digit(number):
            return False
        born = ric.get_birth_date(number)
    except ValidationError:
        return False
    return born.year >= EARLIEST_BIRTH_YEAR and born <= TODAY


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


digits = st.text("0123456789", min_size=17, max_size=17)
birth = st.dates(dt.date(1890, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))
near_valid = st.builds(lambda region, born, seq: with_check_digit(region + born + seq),
                       st.text("0123456789", min_size=6, max_size=6), birth,
                       st.text("0123456789", min_size=3, max_size=3))  # fmt: skip


@given(st.one_of(near_valid, digits.map(lambda d: d + "X"), digits.map(lambda d: d + "7"),
                 st.text("0123456789Xx -", min_size=15, max_size=21)))  # fmt: skip
@example("11010519491231002X")
@example("11010519491231002x")  # lower-case x: stdnum's compact() upper-cases it
@example(" 110105194912310021")
@example("110105194902300021")  # 30 February
@example("110105202701010021")  # born after today
def test_fast_path_equals_stdnum(number: str) -> None:
    assert is_valid_ric(number, TODAY) == stdnum_answer(number)
