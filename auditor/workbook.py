"""A minimal streaming .xlsx writer for large, plain tables: text, integers and 0.00 amounts.

openpyxl (without lxml) spends about half a millisecond per row serialising XML, which is
minutes for a city's notice; this writes the same sheet XML with string formatting, streamed
into the zip. Its output is byte-reproducible by construction: fixed zip entry times, fixed
entry order, and document dates given by the caller. Text cells are inline strings, so Excel
never reads them as formulas or numbers (an ID number stays text); characters XML cannot hold
are written as \\xNN.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
MAX_ROWS = 1_048_576  # Excel's limit, header included
BATCH_ROWS = 2_000
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STYLES = (
    f'{HEAD}<styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
Cell = str | int | Decimal | None
ROW_MARK = "\x01"  # the row number's place in a row rendered by SQL; never cell text (ILLEGAL)
# Text SQL may render itself: no character XML must escape or cannot hold, and a first and last
# character that are surely not whitespace (str.isspace knows more spaces than RE2's \s).
# Any other text, and a NULL row, is rendered by _Sheet.append in Python.
_EDGE = r"[\p{L}\p{N}\p{M}*'.()（）]"
_INNER = r"[^&<>\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
PLAIN_TEXT = f"{_EDGE}(?:{_INNER}*{_EDGE})?"
PLAIN_SQL = PLAIN_TEXT.replace("'", "''")  # inside an SQL string literal


class RowXml(str):
    """A row's XML rendered by DuckDB (row_xml_sql), with ROW_MARK for its row number."""


def row_xml_sql(cells: Sequence[tuple[str, str]]) -> str:
    """SQL for one row's XML, cell by cell as _Sheet.append writes them, or NULL.

    `cells` are (SQL expression, kind): kind `int`, `decimal` (an amount, shown 0.00) or `text`.
    NULL when a text cell is not PLAIN_TEXT: the caller then passes the values to append().
    Rendering in DuckDB matters at a city's size: half a million notice rows take Python ~8 s.
    """
    parts, plain = [], []
    for i, (expr, kind) in enumerate(cells):
        ref = f"{_letters(i)}{ROW_MARK}"
        if kind == "int":
            cell = f"'<c r=\"{ref}\"><v>' || CAST({expr} AS VARCHAR) || '</v></c>'"
        elif kind == "decimal":
            cell = f"'<c r=\"{ref}\" s=\"1\"><v>' || CAST({expr} AS VARCHAR) || '</v></c>'"
        else:
            cell = f"'<c r=\"{ref}\" t=\"inlineStr\"><is><t>' || {expr} || '</t></is></c>'"
            plain.append(f"(coalesce({expr}, '') = '' OR regexp_full_match({expr}, '{PLAIN_SQL}'))")
        parts.append(
            f"coalesce(CASE WHEN coalesce(CAST({expr} AS VARCHAR), '') <> '' THEN {cell} END, '')"
        )
    body = " || ".join([f"'<row r=\"{ROW_MARK}\">'", *parts, "'</row>'"])
    return f"CASE WHEN {' AND '.join(plain) or 'true'} THEN {body} END"


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text(value: str) -> str:
    if ILLEGAL.search(value):
        value = ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


class _Sheet:
    """One worksheet being streamed into the zip, a batch of rows at a time."""

    def __init__(self, book: zipfile.ZipFile, number: int, header: Sequence[str]) -> None:
        info = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", date_time=ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.fh = book.open(info, "w", force_zip64=True)
        self.columns = [_letters(i) for i in range(len(header))]
        self.rows = 0
        self.pending: list[str] = [f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>']
        self.append(list(header))

    def append(self, row: Sequence[Cell] | RowXml) -> None:
        self.rows += 1
        r = self.rows
        if type(row) is RowXml:
            self.pending.append(row.replace(ROW_MARK, str(r)))
            if len(self.pending) >= BATCH_ROWS:
                self.flush()
            return
        parts = [f'<row r="{r}">']
        for col, value in zip(self.columns, row, strict=False):
            kind = type(value)
            if kind is int:
                parts.append(f'<c r="{col}{r}"><v>{value}</v></c>')
            elif kind is Decimal:
                parts.append(f'<c r="{col}{r}" s="1"><v>{value}</v></c>')
            elif value is not None and value != "":
                parts.append(f'<c r="{col}{r}" t="inlineStr"><is>{_text(str(value))}</is></c>')
        parts.append("</row>")
        self.pending.append("".join(parts))
        if len(self.pending) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        self.fh.write("".join(self.pending).encode("utf-8"))
        self.pending = []

    def close(self) -> None:
        self.pending.append("</sheetData></worksheet>")
        self.flush()
        self.fh.close()


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell] | RowXml]]  # name, header, rows


def write_table(
    path: Path,
    sheet_name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell] | RowXml],
    created: dt.datetime,
) -> None:
    """One table as a workbook: sheet `sheet_name`, then `sheet_name (2)`, … past Excel's limit.

    Decimals are amounts shown with two decimals; ints are numbers; anything else is text.
    """
    write_sheets(path, [(sheet_name, header, rows)], created)


def write_sheets(path: Path, sheets: Iterable[Sheet], created: dt.datetime) -> None:
    """Several tables as one workbook, a sheet each (and `name (2)`, … past Excel's limit).

    The rows of each sheet are consumed in turn, so they may come from one cursor after another.
    """
    names: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as book:
        for sheet_name, header, rows in sheets:
            sheet = _Sheet(book, len(names) + 1, header)
            names.append(sheet_name)
            part = 1
            for row in rows:
                if sheet.rows >= MAX_ROWS:
                    sheet.close()
                    part += 1
                    names.append(f"{sheet_name} ({part})")
                    sheet = _Sheet(book, len(names), header)
                sheet.append(row)
            sheet.close()
        for name, text in _package(names, created):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            book.writestr(info, text.encode("utf-8"))


def _package(names: list[str], created: dt.datetime) -> list[tuple[str, str]]:
    """The parts around the worksheets: content types, relationships, workbook, styles, props."""
    n = range(1, len(names) + 1)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    types = (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
            for i in n
        )
        + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )
    root_rels = (
        f'{HEAD}<Relationships xmlns="{PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    )
    workbook = (
        f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        + "".join(
            f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, name in zip(n, names, strict=True)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        f'{HEAD}<Relationships xmlns="{PKG_REL}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in n
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    core = (
        f"{HEAD}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>auditor</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    app = (
        f'{HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>auditor</Application></Properties>'
    )
    return [
        ("[Content_Types].xml", types),
        ("_rels/.rels", root_rels),
        ("docProps/core.xml", core),
        ("docProps/app.xml", app),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", STYLES),
    ]
