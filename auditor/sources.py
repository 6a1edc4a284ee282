"""Find each contract table's file in an export and load it, untyped, into DuckDB.

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .errors import ExportError

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


def find_file(export_dir: Path, table: str, stem: str) -> Path | None:
    """The one file holding `table` (named STEM + a known suffix), or None."""
    found = [export_dir / f"{stem}{s}" for s in SUFFIXES if (export_dir / f"{stem}{s}").is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ExportError(f"table {table} is given by several files ({names}); keep one")
    return found[0] if found else None


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return name.rsplit(".", 1)[-1]


def _open_binary(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")  # type: ignore[return-value]


def _detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8 or gb18030: the first that decodes the whole file."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = 0
        try:
            with _open_binary(path) as fh:
                while chunk := fh.read(CHUNK_BYTES):
                    decoder.decode(chunk)
                    offset += len(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except (OSError, EOFError) as exc:
            raise ExportError(f"cannot read the file: {exc}", file=path.name) from exc
        if encoding == "utf-8":
            with _open_binary(path) as fh:
                return "utf-8-sig" if fh.read(3) == codecs.BOM_UTF8 else "utf-8"
        return encoding
    raise ExportError("the text is neither UTF-8 nor GB18030", file=path.name)


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


def load_raw(con: duckdb.DuckDBPyConnection, table: str, path: Path, work_dir: Path) -> SourceFile:
    """Load `path` into the raw table `raw_<table>` and describe what was read."""
    fmt = _format_of(path)
    raw = f"raw_{table}"
    if path.stat().st_size == 0:
        raise ExportError("the file is empty (no header row)", file=path.name)
    if fmt in ("csv", "xlsx"):
        encoding = None
        readable = path
        if fmt == "xlsx":
            readable = _xlsx_to_csv(path, table, work_dir)
            encoding = "utf-8"
        else:
            encoding = _detect_encoding(path)
            if encoding == "gb18030":
                readable = _recode_to_utf8(path, encoding, work_dir)
        headers = _csv_headers(readable, "utf-8-sig")
        _read_csv(con, raw, table, readable, path.name, len(headers))
        return SourceFile(table, path, "xlsx" if fmt == "xlsx" else "csv", headers, encoding)
    reader = {"parquet": "read_parquet(?)", "jsonl": "read_json(?, format = 'newline_delimited')"}
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader[fmt]}", [str(path)]).fetchall()
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
        source = reader[fmt].replace("?", _string_literal(str(path)))  # a view takes no parameters
        con.execute(
            f"CREATE OR REPLACE TEMP {kind} {raw} AS "
            f"SELECT {select}, row_number() OVER () AS _row FROM {source}"
        )
    except duckdb.Error as exc:
        raise ExportError(f"not a readable {fmt} file: {_first_line(exc)}", file=path.name) from exc
    return SourceFile(table, path, fmt, tuple(names), types=tuple(types))


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
    con: duckdb.DuckDBPyConnection, raw: str, table: str, readable: Path, name: str, width: int
) -> None:
    """DuckDB reads the CSV; rows it cannot split go to `rejects` with their record number.

    `_row` counts data records from 1 in the file, rejected ones included, so a row's number
    is the same in the findings, the rejects and a text editor (header = line 1, record N =
    line N + 1 when no field spans lines).
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
    bad = con.execute(
        "SELECT DISTINCT CAST(line AS BIGINT) - 1 AS rec, error_type FROM csv_rejects ORDER BY rec"
    ).fetchall()
    if not bad:
        con.execute(f"ALTER TABLE raw0 RENAME TO {raw}")
        return
    # NOTE: accepted record k is the k-th record number not rejected: with rejected numbers
    # r1 < r2 < ..., it moves up by j once k >= r_j - j + 1.
    con.execute("CREATE OR REPLACE TEMP TABLE breaks (b BIGINT, shift BIGINT)")
    con.executemany(
        "INSERT INTO breaks VALUES (?, ?)", [[rec - j + 1, j] for j, (rec, _) in enumerate(bad, 1)]
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT r.* EXCLUDE (_row), "
        "r._row + coalesce(b.shift, 0) AS _row FROM raw0 r "
        "ASOF LEFT JOIN (SELECT b, max(shift) AS shift FROM breaks GROUP BY b) b ON r._row >= b.b"
    )
    con.executemany(
        "INSERT INTO rejects VALUES (?, ?, ?, NULL, ?, NULL, NULL, NULL)",
        [
            [table, name, rec, REJECT_REASONS.get(kind, f"unreadable row ({kind})")]
            for rec, kind in bad
        ],
    )
    con.execute("DROP TABLE raw0")
    con.execute("DROP TABLE breaks")


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
