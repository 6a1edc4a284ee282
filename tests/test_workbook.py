"""The rows DuckDB renders for a workbook (row_xml_sql) are the rows Python would write.

The public notice's rows are rendered by SQL where the text is plain and by `_Sheet.append`
otherwise; both must give the same bytes, whatever the text holds.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from auditor.workbook import ROW_MARK, RowXml, _Sheet, row_xml_sql

CELLS = (("n", "int"), ("a", "text"), ("b", "text"), ("amount", "decimal"))
TRICKY = ["", " lead", "trail ", "\u3000全角空格", "尾\u3000", "a&b", "<x>", "'=1+1", "李*四",
          "x\x01y", "tab\tin", "line\nbreak", "(有限公司)", "110101********1234", "é", "\ufffe"]  # fmt: skip


def python_row(values: tuple[object, ...]) -> str:
    """The XML `_Sheet.append` writes for row 2 of a sheet."""
    with zipfile.ZipFile(io.BytesIO(), "w") as book:
        sheet = _Sheet(book, 1, ["n", "a", "b", "amount"])
        sheet.pending = []
        sheet.append(values)  # type: ignore[arg-type]
        row = sheet.pending[0]
        sheet.close()
    return row


def sql_row(con: duckdb.DuckDBPyConnection, values: tuple[object, ...]) -> str | None:
    row = con.execute(
        f"SELECT {row_xml_sql(CELLS)} FROM (SELECT ?::BIGINT AS n, ?::VARCHAR AS a, "
        "?::VARCHAR AS b, ?::DECIMAL(14, 2) AS amount)",
        list(values),
    ).fetchall()[0][0]
    return None if row is None else RowXml(row).replace(ROW_MARK, "2")


@given(
    st.integers(0, 10**9),
    st.one_of(st.none(), st.sampled_from(TRICKY), st.text(max_size=12)),
    st.one_of(st.none(), st.sampled_from(TRICKY), st.text(max_size=12)),
    st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_sql_rows_equal_python_rows(n: int, a: str | None, b: str | None, amount: Decimal) -> None:
    con = duckdb.connect()
    rendered = sql_row(con, (n, a, b, amount))
    if rendered is not None:  # NULL: SQL declined, Python writes the row
        assert rendered == python_row((n, a, b, amount))


def test_plain_text_is_rendered_by_sql_and_tricky_text_is_not() -> None:
    con = duckdb.connect()
    assert sql_row(con, (1, "上海某某有限公司", "110101********1234", Decimal("600.00"))) == (
        python_row((1, "上海某某有限公司", "110101********1234", Decimal("600.00")))
    )
    for text in (" lead", "尾\u3000", "a&b", "<x>", "x\x01y", "\ufffe"):
        assert sql_row(con, (1, text, "b", Decimal("1.00"))) is None, text
