"""The resident-ID check's fast path gives python-stdnum's own answer for every input."""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from auditor.sqlfuncs import _is_valid_ric_by_stdnum, is_valid_ric

TODAY = dt.date(2026, 11, 30)


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
    assert is_valid_ric(number, TODAY) == _is_valid_ric_by_stdnum(number, TODAY)
