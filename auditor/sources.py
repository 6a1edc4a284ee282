"""Find each contract table's file in an export and load it, untyped, into DuckDB.

A table is one file (TABLE.csv, .csv.gz, .parquet, .jsonl, .xlsx) or a folder of Parquet files
as Spark writes them (TABLE/ or TABLE.parquet/ holding part-*.parquet, directly or in Hive
partition folders `name=value/`; hidden names, such as _SUCCESS and .crc files, are skipped as
Spark skips them: partitions.py). A folder's rows are numbered across its files in the order of
their relative paths, then within each file; a partition column is read as a text column after
the files' own, its values taken from the folder names here (DuckDB's hive_partitioning would
also take a `k=v` folder above the export for a column), the same text Spark reads.

Every format ends as the same raw table: one VARCHAR column per header (named c0, c1, ... so
that no header text ever reaches SQL) plus `_row`, the 1-based data row in the file. CSV is
read by DuckDB itself; only GB18030 CSV is first re-encoded to UTF-8, and only .xlsx is
streamed through openpyxl, because DuckDB reads neither without a downloaded extension.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

from .errors import ExportError
from .partitions import TableParts, check_not_in_files, parquet_parts

if TYPE_CHECKING:  # imported where footers are read: pyarrow.parquet is slow to import
    import pyarrow.parquet as pq

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".jsonl", ".xlsx")
CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 16 << 20  # a 1 MB text cell must fit in a row


@dataclass(frozen=True)
class SourceFile:
    """One export file and what was learnt reading it."""

    table: str
    path: Path
    format: str  # csv | parquet | jsonl | xlsx
    headers: tuple[str, ...]
    encoding: str | None = None
    types: tuple[str, ...] = ()  # DuckDB type per header; empty: all VARCHAR (CSV, XLSX)
    rows: int | None = None  # counted apart from DuckDB (Parquet: its files' footers)


# A table given as a folder of Parquet files: STEM/ or STEM.parquet/ (Spark's own naming).
FOLDER_SUFFIXES = ("", ".parquet")


def find_file(export_dir: Path, table: str, stem: str) -> Path | None:
    """The one file, or folder of Parquet files, holding `table` (named STEM + a known
    suffix, or STEM/ or STEM.parquet/), or None."""
    found = [export_dir / f"{stem}{s}" for s in SUFFIXES if (export_dir / f"{stem}{s}").is_file()]
    found += [
        export_dir / f"{stem}{s}" for s in FOLDER_SUFFIXES if (export_dir / f"{stem}{s}").is_dir()
    ]
    if len(found) > 1:
        names = ", ".join(p.name + "/" * p.is_dir() for p in found)
        raise ExportError(f"table {table} is given by several files ({names}); keep one")
    return found[0] if found else None


def _folder_parts(path: Path, table: str) -> TableParts:
    """The layout of a local table folder (see partitions.parquet_parts)."""

    def entries_of(sub: str) -> list[tuple[str, bool]]:
        return [(p.name, p.is_dir()) for p in (path / sub).iterdir()]

    return parquet_parts(table, path.name, entries_of)


def _footers(files: list[Path], root: Path, table: str) -> tuple[int, set[str], dict[str, str]]:
    """From the files' Parquet footers, read by pyarrow apart from DuckDB: the rows they hold,
    the top-level columns stored as INT96 in any of them, and the files' columns (column ->
    type), which they must share (check_same_columns). A file is named by its path from
    `root` (a table folder's partition folders, then its name)."""
    import pyarrow.parquet as pq

    total, int96, schemas = 0, set(), []
    for file in files:
        try:
            meta = pq.read_metadata(file)
        except (OSError, pa.ArrowException) as exc:
            name = file.relative_to(root).as_posix()
            raise ExportError(f"not a readable parquet file: {exc}", file=name) from exc
        total += meta.num_rows
        columns = [meta.schema.column(i) for i in range(len(meta.schema))]
        int96 |= {c.path.split(".")[0] for c in columns if c.physical_type == "INT96"}
        types = {c.path: " ".join(_parquet_type(c)) for c in columns}
        schemas.append((file.relative_to(root).as_posix(), types))
    check_same_columns(table, schemas)
    return total, int96, schemas[0][1] if schemas else {}


def _parquet_type(column: pq.ColumnSchema) -> tuple[str, ...]:
    logical = str(column.logical_type)
    return (column.physical_type,) if logical == "None" else (column.physical_type, logical)


def check_same_columns(table: str, schemas: list[tuple[str, dict[str, str]]]) -> None:
    """A table's Parquet files must agree on their columns and types: DuckDB and Spark both
    take the columns of one file for all of them, so a column that only some files have would
    be dropped, or read as empty, without a word. ExportError naming the first file that
    differs from the first file, and how. `schemas`: (file name, column -> type) per file."""
    if not schemas:
        return
    first_name, first = schemas[0]
    for name, columns in schemas[1:]:
        if columns == first:
            continue
        how = []
        if lacks := sorted(set(first) - set(columns)):
            how.append(f"lacks {', '.join(lacks)}")
        if extra := sorted(set(columns) - set(first)):
            how.append(f"has {', '.join(extra)} besides")
        if changed := sorted(c for c in set(first) & set(columns) if first[c] != columns[c]):
            how.append(", ".join(f"{c} is {columns[c]}, not {first[c]}" for c in changed))
        raise ExportError(
            f"table {table}: its Parquet files differ in columns: {name} {'; '.join(how)} "
            f"(compared with {first_name}); a table's files must share one schema"
        )


def _format_of(path: Path) -> str:
    if path.is_dir():
        return "parquet"
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return name.rsplit(".", 1)[-1]


def _open_binary(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")  # type: ignore[return-value]


def _detect_encoding(path: Path, name: str | None = None) -> tuple[str, CsvScan]:
    """utf-8-sig, utf-8 or gb18030: the first that decodes the whole file; and its records.

    The records are counted in the same pass over the bytes (`"`, `,`, CR and LF are the same
    single bytes in UTF-8 and GB18030, and never part of another character in either).
    """
    name = name or path.name
    scan = CsvScan(name)
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        decodes = True
        try:
            with _open_binary(path) as fh:
                while chunk := fh.read(CHUNK_BYTES):
                    if encoding == "utf-8":
                        scan.feed(chunk)  # to the end, even once the text is not UTF-8
                    elif not decodes:
                        break
                    if decodes:
                        try:
                            decoder.decode(chunk)
                        except UnicodeDecodeError:
                            decodes = False
                if decodes:
                    decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            decodes = False
        except (OSError, EOFError) as exc:
            raise ExportError(f"cannot read the file: {exc}", file=name) from exc
        if encoding == "utf-8":
            scan.finish()
        if not decodes:
            continue
        if encoding == "utf-8":
            with _open_binary(path) as fh:
                return ("utf-8-sig" if fh.read(3) == codecs.BOM_UTF8 else "utf-8"), scan
        return encoding, scan
    raise ExportError("the text is neither UTF-8 nor GB18030", file=name)


# --- counting records independently of DuckDB ---------------------------------------------
#
# DuckDB stops at a quote that never closes: it rejects one record and the rows after it are
# gone. So every CSV is first counted here, by the CSV grammar, on the raw bytes: a record ends
# at a line break outside quotes; a quoted field may span lines only if it closes properly and
# its record then has the header's number of fields. A record whose quote does not close so is
# broken on its first line alone, and counting goes on from the next line. Those lines are taken
# out before DuckDB reads the file, become rejects, and every other record is still read; then
# accepted + rejected must equal this count, or the audit stops (exit 2).

# NOTE: DuckDB's grammar: a field is quoted when it starts with a quote or with one space and
# a quote, and spaces may follow its closing quote; any other quote is text.
_FIELD = rb'(?: ?"(?:[^"]|"")*" *|(?! ?")[^,\r\n]*)'
_RECORD = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*")
_OPEN = re.compile(rb"(?:" + _FIELD + rb',)* ?"(?:[^"]|"")*')  # ends inside a quoted field
_FIELD_AT = re.compile(_FIELD)
MAX_BROKEN = 1000
QUOTE, COMMA, CR, LF = b'",\r\n'


UNCLOSED = "row has a quote that does not close (the rows after it are read)"
MISPLACED = "row has a quote that neither opens nor closes a field"


@dataclass(frozen=True)
class BrokenRecord:
    """A record DuckDB must not see: its data record number, physical line and reason."""

    record: int
    line: int
    reason: str


class CsvScan:
    """Streams a CSV's bytes and counts its data records (the header excluded, blank lines
    skipped as DuckDB skips them) and the broken ones; a quote-free block costs one count."""

    def __init__(self, name: str, exact: bool = False) -> None:
        self.name = name
        self.exact = exact  # False: a quote-free block counts its lines, blank ones too
        self.records = 0  # data records, broken ones included
        self.broken: list[BrokenRecord] = []
        self.width: int | None = None  # fields of the header
        self._line = 0  # physical lines seen
        self._carry = b""
        self._pending: list[bytes] = []  # lines of a record inside an open quote
        self._pending_line = 0
        self._pending_bytes = 0
        self._unclosed = 0

    def feed(self, chunk: bytes) -> None:
        fast = not self.exact and not self._pending and self.width is not None
        if fast and b'"' not in chunk and b'"' not in self._carry:
            # NOTE: the fast path, one count per megabyte: each LF ends a record
            last = chunk.rfind(b"\n")
            if last >= 0:
                self._count(chunk.count(b"\n"))
                self._carry = chunk[last + 1 :]
                return
        data = self._carry + chunk
        cut = data.rfind(b"\n") + 1
        if not cut and len(data) > 4 * MAX_LINE_BYTES:
            raise ExportError(
                f"line {self._line + 1} is longer than {4 * MAX_LINE_BYTES} bytes: not CSV",
                file=self.name,
            )
        self._carry = data[cut:]
        if not cut:
            return
        if fast and _quotes_in_place(data[:cut]):
            self._count(data.count(b"\n", 0, cut))
        else:
            self._lines(data[:cut].split(b"\n")[:-1])

    def _count(self, lines: int) -> None:
        """Lines that are each one record (blank ones too: an exact count is made on doubt)."""
        self._line += lines
        self.records += lines

    def finish(self) -> None:
        if self._carry:
            self._lines([self._carry])
            self._carry = b""
        while self._pending:  # a quote still open at the end of the file
            self._break()

    def _lines(self, lines: list[bytes]) -> None:
        queue = deque(lines)
        while queue:
            line = queue.popleft()
            self._line += 1
            if self._pending:
                self._continue(line, queue)
                continue
            body = line[:-1] if line.endswith(b"\r") else line
            if not body:
                continue  # a blank line: DuckDB skips it, so it is no record
            if b'"' not in body or _RECORD.fullmatch(body):
                self._record(body)
            elif _OPEN.fullmatch(body):
                self._pending, self._pending_line = [line], self._line
                self._pending_bytes = len(line)
            else:  # NOTE: DuckDB would reject it, but may read on inside a quote opened later
                self._broken(self._line, MISPLACED)

    def _continue(self, line: bytes, queue: deque[bytes]) -> None:
        self._pending.append(line)
        self._pending_bytes += len(line) + 1
        if self._pending_bytes > MAX_LINE_BYTES:
            self._break(queue)
            return
        if b'"' not in line:
            return  # still inside the quoted field
        text = b"\n".join(self._pending)
        body = text[:-1] if text.endswith(b"\r") else text
        if _RECORD.fullmatch(body):
            if self.width is None or _width(body) == self.width:
                self._pending = []
                self._record(body)
                return
        elif _OPEN.fullmatch(body):
            return
        self._break(queue)

    def _break(self, queue: deque[bytes] | None = None) -> None:
        """The pending record is broken on its first line; its other lines are read again."""
        rest = self._pending[1:]
        self._pending = []
        self._broken(self._pending_line, UNCLOSED)
        self._unclosed += 1
        if self._unclosed > MAX_BROKEN:
            raise ExportError(
                f"more than {MAX_BROKEN} rows have a quote that does not close "
                f"(the first on line {self.broken[0].line}): is this a CSV file?",
                file=self.name,
            )
        self._line = self._pending_line
        if queue is None:
            self._lines(rest)
        else:
            queue.extendleft(reversed(rest))

    def _broken(self, line: int, reason: str) -> None:
        if self.width is None:
            what = reason.removeprefix("row ").split(" (")[0]
            raise ExportError(f"the header row {what}", file=self.name)
        self.records += 1
        self.broken.append(BrokenRecord(self.records, line, reason))

    def _record(self, body: bytes) -> None:
        if self.width is None:
            self.width = _width(body)
        else:
            self.records += 1


def _quotes_in_place(block: bytes) -> bool:
    """Whether every line of `block` (whole lines, from a record's start) is one record on its
    own with its quotes in place: each line has an even number of quotes, and its k-th quote
    (from 0) opens a field (after a comma or the line start) or is the second of a doubled
    quote when k is even, and closes a field (before a comma or the line end) or is the first
    of a doubled quote when k is odd. Vectorised: an export that quotes every field is counted
    at a few milliseconds a megabyte."""
    text = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(text == QUOTE)
    if not quotes.size:
        return True
    breaks = np.flatnonzero(text == LF)
    if np.any(np.searchsorted(quotes, breaks) % 2):  # quotes before each line end: even
        return False
    # every line starts after an even number of quotes, so k's parity is the index's
    before = text[quotes - 1]  # text[-1] is the block's last LF: a line start
    after = text[quotes + 1]  # a quote is never the block's last byte (LF is)
    opens = (before == COMMA) | (before == LF) | (before == QUOTE)
    closes = (after == COMMA) | (after == CR) | (after == LF) | (after == QUOTE)
    return bool(np.all(opens[0::2]) and np.all(closes[1::2]))


def _width(record: bytes) -> int:
    """Fields in one record that matches `_RECORD`."""
    fields, pos = 1, 0
    while (end := _FIELD_AT.match(record, pos).end()) < len(record):  # type: ignore[union-attr]
        fields, pos = fields + 1, end + 1  # record[end] is the comma
    return fields


def _count_records(path: Path, name: str | None = None) -> CsvScan:
    """The exact count: every line looked at, blank ones not counted."""
    scan = CsvScan(name or path.name, exact=True)
    with _open_binary(path) as fh:
        while chunk := fh.read(CHUNK_BYTES):
            scan.feed(chunk)
    scan.finish()
    return scan


def _without_lines(path: Path, lines: set[int], work_dir: Path) -> Path:
    """A copy of `path` (decompressed) without the given physical lines, for DuckDB to read."""
    target = work_dir / f"{path.name}.unbroken.csv"
    with _open_binary(path) as src, target.open("wb") as dst:
        for number, line in enumerate(src, 1):
            if number not in lines:
                dst.write(line)
    return target


def _breaks_lines_with_cr(path: Path) -> bool:
    """Whether the file ends its lines with CR alone (classic Mac OS; Excel's "CSV (Macintosh)"
    and some LMS downloads): its first megabyte has a CR and no LF."""
    with _open_binary(path) as fh:
        head = fh.read(CHUNK_BYTES)
    return b"\r" in head and b"\n" not in head


def _cr_to_lf(path: Path, work_dir: Path) -> Path:
    """A copy of `path` (decompressed) with every CR an LF: the records, their lines and their
    numbers stay as they were, and the scan and DuckDB then read it as any other CSV. A CR
    inside a quoted field becomes an LF, which is the same line break."""
    target = work_dir / f"{path.name}.lf.csv"
    with _open_binary(path) as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK_BYTES):
            dst.write(chunk.replace(b"\r", b"\n"))
    return target


def _recode_to_utf8(path: Path, encoding: str, work_dir: Path) -> Path:
    target = work_dir / f"{path.name}.utf8.csv"
    with _open_binary(path) as src, target.open("wb") as dst:
        reader = codecs.getreader(encoding)(src)
        while text := reader.read(CHUNK_BYTES):
            dst.write(text.encode("utf-8"))
    return target


def _csv_headers(path: Path, encoding: str) -> tuple[str, ...]:
    with _open_binary(path) as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")  # type: ignore[type-var]
        try:
            row = next(csv.reader(text))
        except StopIteration:
            raise ExportError("the file is empty (no header row)", file=path.name) from None
        except csv.Error as exc:
            raise ExportError(f"the header row is not valid CSV: {exc}", file=path.name) from exc
    return tuple(h.strip() for h in row)


def _xlsx_rows(path: Path, table: str) -> Iterator[list[str]]:
    import openpyxl  # NOTE: imported here; only .xlsx exports need it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise ExportError(f"not a readable .xlsx workbook: {exc}", file=path.name) from exc
    names = book.sheetnames
    if table in names:
        sheet = book[table]
    elif len(names) == 1:
        sheet = book[names[0]]
    else:
        raise ExportError(
            f"the workbook has several sheets ({', '.join(names)}) and none is named {table!r}",
            file=path.name,
        )
    for row in sheet.iter_rows(values_only=True):
        yield ["" if v is None else _cell_text(v) for v in row]
    book.close()


def _cell_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_to_csv(path: Path, table: str, work_dir: Path) -> Path:
    target = work_dir / f"{path.name}.csv"
    with target.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(_xlsx_rows(path, table))
    return target


def load_raw(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    work_dir: Path,
    sheet: str | None = None,
) -> SourceFile:
    """Load `path` into the raw table `raw_<table>` and describe what was read.

    `sheet`: the workbook sheet to prefer (default: the table's name).
    """
    fmt = _format_of(path)
    raw = f"raw_{table}"
    layout = _folder_parts(path, table) if path.is_dir() else None
    parts = [path / f for f in layout.files] if layout else None
    if parts is None and path.stat().st_size == 0:
        raise ExportError("the file is empty (no header row)", file=path.name)
    if fmt in ("csv", "xlsx"):
        encoding = None
        readable = path
        if fmt == "xlsx":
            readable = _xlsx_to_csv(path, sheet or table, work_dir)
            scanned, (encoding, scan) = readable, ("utf-8", _detect_encoding(readable)[1])
        else:
            if _breaks_lines_with_cr(path):  # NOTE: the scan and DuckDB split lines at LF
                readable = _cr_to_lf(path, work_dir)
            scanned, (encoding, scan) = readable, _detect_encoding(readable, path.name)
            if encoding == "gb18030":
                readable = _recode_to_utf8(readable, encoding, work_dir)
        headers = _csv_headers(readable, "utf-8-sig")
        if scan.broken and not scan.exact:  # their record numbers must not count blank lines
            scan = _count_records(scanned, path.name)
        if scan.broken:
            readable = _without_lines(readable, {b.line for b in scan.broken}, work_dir)
        read = _read_csv(con, table, readable, path.name, len(headers), scan)
        if read != scan.records and not scan.exact:  # blank lines were counted: count exactly
            scan = _count_records(scanned, path.name)
        if read != scan.records:
            raise ExportError(
                f"{scan.records} records counted in the file, but DuckDB read {read} (accepted "
                "or rejected): rows would be lost, so the audit stops",
                file=path.name,
            )
        return SourceFile(table, path, "xlsx" if fmt == "xlsx" else "csv", headers, encoding)
    # NOTE: no hive_partitioning: DuckDB would take any `k=v` folder of the path for a column,
    # the export's own folders too; a table folder's partitions are added below
    reader = {
        "parquet": "read_parquet(?, hive_partitioning = false)",
        "jsonl": "read_json(?, format = 'newline_delimited')",
    }
    if parts is not None:  # NOTE: DuckDB keeps the list's order: rows are numbered along it
        where = "[" + ", ".join(_string_literal(str(p)) for p in parts) + "]"
        reader["parquet"] = f"read_parquet({where}, hive_partitioning = false)"
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM {reader[fmt]}", [] if parts else [str(path)]
        ).fetchall()
        names = [r[0] for r in described]
        types = [str(r[1]) for r in described]
        if fmt == "jsonl" and any(_is_temporal(t) for t in types):
            # NOTE: JSON has no time type: DuckDB guesses one from a sample of the strings, and a
            # later string in another form (an offset, a zone name) then fails the whole read.
            # Times are read as text, and ingest alone decides what an offset means.
            types = ["VARCHAR" if _is_temporal(t) else t for t in types]
            spec = ", ".join(
                f"{_string_literal(n)}: {_string_literal(t)}"
                for n, t in zip(names, types, strict=True)
            )
            reader["jsonl"] = f"read_json(?, format = 'newline_delimited', columns = {{{spec}}})"
        # NOTE: typed columns stay typed; ingest parses only what arrives as text. Parquet is
        # read in place through a view (a copy of 10 M rows costs seconds); JSONL is copied,
        # so that a malformed line is reported here, naming the file.
        select = ", ".join(f"{quote_ident(n)} AS c{i}" for i, n in enumerate(names))
        kind = "VIEW" if fmt == "parquet" else "TABLE"
        source = reader[fmt]
        if parts is None:  # a view takes no parameters
            source = source.replace("?", _string_literal(str(path)))
        query = f"SELECT {select}, row_number() OVER () AS _row FROM {source}"
        if layout and layout.columns:
            query = _with_partitions(select, len(names), source, layout, parts or [])
            names += layout.columns
            types += ["VARCHAR"] * len(layout.columns)
        con.execute(f"CREATE OR REPLACE TEMP {kind} {raw} AS {query}")
    except duckdb.Error as exc:
        raise ExportError(f"not a readable {fmt} file: {_first_line(exc)}", file=path.name) from exc
    rows = None  # counted apart from DuckDB: Parquet's footers (CSV is counted above)
    if fmt == "parquet":
        rows, int96, inside = _footers(parts or [path], path if parts else path.parent, table)
        check_not_in_files(table, layout.columns if layout else (), inside)
        types = [INT96 if n in int96 else t for n, t in zip(names, types, strict=True)]
    return SourceFile(table, path, fmt, tuple(names), types=tuple(types), rows=rows)


_FILE = "__auditor_file"


def _with_partitions(
    select: str, width: int, source: str, layout: TableParts, parts: list[Path]
) -> str:
    """The raw table's query for a partitioned folder: the files' columns, then one text
    column per partition column (c<width>, ...), its value joined from each row's file. `_row`
    is numbered before the join, along the files' list (a join does not keep order)."""
    files = source.removesuffix(")") + f", filename = {_string_literal(_FILE)})"
    keys = [f"p{j}" for j in range(len(layout.columns))]
    values = ", ".join(
        "("
        + ", ".join(
            [_string_literal(str(part))]
            + [_string_literal(v) if v is not None else "CAST(NULL AS VARCHAR)" for v in vs]
        )
        + ")"
        for part, vs in zip(parts, map(layout.values, layout.files), strict=True)
    )
    added = ", ".join(f"p.{k} AS c{width + j}" for j, k in enumerate(keys))
    return (
        f"SELECT r.* EXCLUDE (_file, _row), {added}, r._row FROM "
        f"(SELECT {select}, {_FILE} AS _file, row_number() OVER () AS _row FROM {files}) r "
        f"JOIN (VALUES {values}) p(_file, {', '.join(keys)}) ON r._file = p._file"
    )


# A Parquet INT96 timestamp: DuckDB reads it as a zone-less TIMESTAMP, but the file does not say
# which clock it holds (Spark writes UTC instants, Impala and Hive local wall-clock times), so
# ingest refuses to guess (an 8-hour shift would pass unseen).
INT96 = "TIMESTAMP (Parquet INT96)"


def _is_temporal(duckdb_type: str) -> bool:
    return duckdb_type.upper().startswith(("DATE", "TIME"))


REJECT_REASONS = {
    "MISSING COLUMNS": "row has fewer fields than the header",
    "TOO MANY COLUMNS": "row has more fields than the header",
    "UNQUOTED VALUE": "row has a quote in an unquoted field",
    "LINE SIZE OVER MAXIMUM": f"row is longer than {MAX_LINE_BYTES} bytes",
    "INVALID ENCODING": "row is not valid text in the file's encoding",
}


def _read_csv(
    con: duckdb.DuckDBPyConnection, table: str, readable: Path, name: str, width: int, scan: CsvScan
) -> int:
    """DuckDB reads the CSV into `raw_<table>`; rows it cannot split go to `rejects` with their
    record number. Returns the records read, accepted or rejected.

    `_row` counts data records from 1 in the file, rejected ones included, so a row's number
    is the same in the findings, the rejects and a text editor (header = line 1, record N =
    line N + 1 when no field spans lines). `readable` lacks the lines of `scan.broken`, which
    are rejected here.
    """
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    con.execute("DROP TABLE IF EXISTS csv_rejects")
    con.execute("DROP TABLE IF EXISTS csv_scans")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE raw0 AS SELECT *, row_number() OVER () AS _row "
            f"FROM read_csv(?, columns = {columns}, header = true, auto_detect = false, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            f"max_line_size = {MAX_LINE_BYTES}, store_rejects = true, "
            "rejects_table = 'csv_rejects', rejects_scan = 'csv_scans')",
            [str(readable)],
        )
    except duckdb.Error as exc:
        raise ExportError(f"not valid CSV: {_first_line(exc)}", file=name) from exc
    # NOTE: one reject per record (DuckDB may list a record once per bad column), numbered in
    # the file DuckDB read; moved past the broken records taken out before it.
    read_rejects = con.execute(
        "SELECT CAST(line AS BIGINT) - 1 AS rec, arg_min(error_type, column_idx) FROM csv_rejects "
        "GROUP BY rec ORDER BY rec"
    ).fetchall()
    broken = [b.record for b in scan.broken]
    bad: list[tuple[int, str]] = [(b.record, b.reason) for b in scan.broken]
    j = 0
    for rec, kind in read_rejects:
        while j < len(broken) and broken[j] <= rec + j:
            j += 1
        bad.append((rec + j, REJECT_REASONS.get(kind, f"unreadable row ({kind})")))
    bad.sort()
    accepted = int(con.execute("SELECT count(*) FROM raw0").fetchall()[0][0])
    if not bad:
        con.execute(f"ALTER TABLE raw0 RENAME TO raw_{table}")
        return accepted
    # NOTE: accepted record k is the k-th record number not rejected: with rejected numbers
    # r1 < r2 < ..., it moves up by j once k >= r_j - j + 1.
    con.execute("CREATE OR REPLACE TEMP TABLE breaks (b BIGINT, shift BIGINT)")
    con.executemany(
        "INSERT INTO breaks VALUES (?, ?)", [[rec - j + 1, j] for j, (rec, _) in enumerate(bad, 1)]
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_{table} AS SELECT r.* EXCLUDE (_row), "
        "r._row + coalesce(b.shift, 0) AS _row FROM raw0 r "
        "ASOF LEFT JOIN (SELECT b, max(shift) AS shift FROM breaks GROUP BY b) b ON r._row >= b.b"
    )
    con.executemany(
        "INSERT INTO rejects (source_table, file, source_row, reason) VALUES (?, ?, ?, ?)",
        [[table, name, rec, reason] for rec, reason in bad],
    )
    con.execute("DROP TABLE raw0")
    con.execute("DROP TABLE breaks")
    return accepted + len(bad)


def _string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def drop_raw(con: duckdb.DuckDBPyConnection, src: SourceFile) -> None:
    """Drop `raw_<table>`: a view over a Parquet file, otherwise a table."""
    con.execute(f"DROP {'VIEW' if src.format == 'parquet' else 'TABLE'} raw_{src.table}")


def quote_ident(name: str) -> str:
    """A SQL identifier for any text: double quotes, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- JSON lines read line by line (adapter inputs with json_path columns) -----------------

_FILLED_LINE = re.compile(rb"(?m)^[ \t\r\f\v]*[^\s]")
_FILLED = re.compile(rb"[^\s]")  # a line holding anything but whitespace


def count_json_lines(path: Path) -> int:
    """Lines holding anything but whitespace, counted on the raw bytes apart from DuckDB."""
    count, carry = 0, b""
    with _open_binary(path) as fh:
        while chunk := fh.read(CHUNK_BYTES):
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            count += len(_FILLED_LINE.findall(data, 0, cut))
            carry = data[cut:]
    return count + len(_FILLED_LINE.findall(carry))


def _json_line_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The file's non-blank lines, a megabyte at a time: `_row` (the physical line number, from
    1) and `line` (its text without a trailing CR; NULL when it is not UTF-8, so it is
    rejected). A UTF-8 byte order mark before the first line is not part of it."""
    number, carry = 0, b""
    with _open_binary(path) as fh:
        while True:
            chunk = fh.read(CHUNK_BYTES)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                lines, carry = data[:cut].split(b"\n")[:-1], data[cut:]
            else:
                lines, carry = ([data] if data else []), b""
            rows: list[int] = []
            texts: list[str | None] = []
            for raw in lines:
                number += 1
                if not _FILLED.search(raw):
                    continue
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                rows.append(number)
                try:
                    texts.append(raw.rstrip(b"\r").decode("utf-8"))
                except UnicodeDecodeError:
                    texts.append(None)
            if rows:
                yield pa.record_batch(
                    [pa.array(rows, pa.int64()), pa.array(texts, pa.string())],
                    names=["_row", "line"],
                )
            if not chunk:
                return


def load_json_lines(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, json_paths: dict[str, str]
) -> SourceFile:
    """Load a JSON-lines file into `raw_<table>`: one record per non-blank line, `_row` its line
    number, and one column per entry of `json_paths` (the text at that JSON path, NULL when the
    line lacks it). A line that is not JSON is rejected on its own; the lines after it are read.
    Then DuckDB's lines must equal the lines counted on the raw bytes, or the audit stops.
    """
    if path.stat().st_size == 0:
        raise ExportError("the file is empty", file=path.name)
    names = list(json_paths)
    # NOTE: every physical line is kept, so no line can be lost to a reader that gives up at
    # the first malformed one (read_json does). The lines are streamed in, a megabyte at a
    # time: splitting the whole file inside DuckDB (read_text + string_split) needed some 30
    # times the file's size in memory and stopped an 86 MB LRS export at 3 GB.
    columns = ", ".join(
        f"CASE WHEN ok THEN json_extract_string(line, {_string_literal(p)}) END AS c{i}"
        for i, p in enumerate(json_paths.values())
    )
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE json_text (_row BIGINT, line VARCHAR)")
        for batch in _json_line_batches(path):
            con.register("json_batch", batch)
            con.execute("INSERT INTO json_text SELECT _row, line FROM json_batch")
            con.unregister("json_batch")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE json_lines AS SELECT _row, line, "
            "coalesce(json_valid(line), false) AS ok FROM json_text"
        )
        con.execute("DROP TABLE json_text")
    except duckdb.Error as exc:
        raise ExportError(
            f"not readable as JSON lines: {_first_line(exc)}", file=path.name
        ) from exc
    read = int(con.execute("SELECT count(*) FROM json_lines").fetchall()[0][0])
    counted = count_json_lines(path)
    if read != counted:
        raise ExportError(
            f"{counted} lines counted in the file, but DuckDB read {read}: rows would be lost, "
            "so the audit stops",
            file=path.name,
        )
    con.execute(
        "INSERT INTO rejects (source_table, file, source_row, reason) "
        "SELECT ?, ?, _row, 'line is not valid JSON' FROM json_lines WHERE NOT ok",
        [table, path.name],
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_{table} AS SELECT {columns}, _row FROM json_lines "
        "WHERE ok"
    )
    con.execute("DROP TABLE json_lines")
    return SourceFile(table, path, "jsonl", tuple(names))
