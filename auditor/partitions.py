"""Which files make a table given as a folder of Parquet files, flat or Hive-partitioned.

Spark and most lakes write a table partitioned by a column (`df.write.partitionBy("day")`):
TABLE/day=2022-03-01/part-*.parquet, nested to any depth (year=2022/month=03/). The same layout
rules serve a local folder (DuckDB reads it, sources.py) and a lake folder (Spark lists and
reads it, engines/spark_lake.py), so that both engines accept the same tables and read the same
rows in the same order: the files in the order of their full relative paths, a partition
column as text (no type is guessed from folder names: ingest types a contract column like any
other), Hive's escapes undone and its default partition NULL, as Spark reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ExportError


def is_hidden(name: str) -> bool:
    """Whether Spark's readers skip a file or folder of this name (_SUCCESS, _committed_*,
    .crc, ...; but not `_col=value/`, a partition folder, which Spark reads)."""
    return name.startswith(".") or (name.startswith("_") and "=" not in name)


# Hive's partition folder `name=value` (split at the first `=`); a value `%XX`-escaped, as
# Spark and Hive escape `:`, `/`, `=`, `%` ...; this value is NULL
_PARTITION = re.compile(r"([^=]+)=(.+)")
DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _unescape(text: str) -> str:
    """Spark's unescapePathName: each `%XX` is the one character of code XX (not UTF-8)."""
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)


@dataclass(frozen=True)
class TableParts:
    """A table folder's Parquet files, as `/`-separated paths relative to it, in order (the
    full relative path's, so partition folders first, then file names), and its partition
    columns, outermost first (none for a flat folder)."""

    files: tuple[str, ...]
    columns: tuple[str, ...] = ()

    def values(self, file: str) -> tuple[str | None, ...]:
        """The partition columns' values of one of `files`: text, unescaped, NULL for Hive's
        default partition (no type is inferred: ingest types a contract column)."""
        values = []
        for folder in file.split("/")[:-1]:
            raw = folder.partition("=")[2]
            values.append(None if raw == DEFAULT_PARTITION else _unescape(raw))
        return tuple(values)


def parquet_parts(
    table: str, folder: str, entries_of: Callable[[str], list[tuple[str, bool]]]
) -> TableParts:
    """The Parquet files of a table folder, from `entries_of(sub)`: the (name, is_folder)
    entries of its sub-folder `sub` (relative; "" for the folder itself). A level holds either
    Parquet files or Hive partition folders `name=value/`, nested to any depth with the same
    names in the same order on every branch; hidden names are skipped at every level.
    ExportError naming the table and the offending path otherwise, or when it holds no Parquet
    file. Used for local folders (DuckDB reads them) and lake folders (Spark lists them), so
    that both accept the same layouts."""
    files: list[str] = []
    columns: tuple[str, ...] | None = None
    first = ""
    pending = [""]
    while pending:
        sub = pending.pop()
        where = f"{folder}/{sub}" if sub else folder
        visible = sorted((n, d) for n, d in entries_of(sub) if not is_hidden(n))
        if not visible:
            continue  # NOTE: an empty partition folder: a lake's listing does not see it
        other = [
            n + "/" * d
            for n, d in visible
            if (d and not _PARTITION.fullmatch(n)) or (not d and not n.endswith(".parquet"))
        ]
        if other:
            raise ExportError(
                f"table {table}: the folder {where} holds what is not a Parquet file or a "
                f"partition folder (name=value/): {_some(other)} (a table folder holds Parquet "
                "files, or partition folders holding them)"
            )
        if len({d for _, d in visible}) > 1:
            raise ExportError(
                f"table {table}: the folder {where} holds both Parquet files and partition "
                f"folders: {_some([n + '/' * d for n, d in visible])} (Parquet files belong in "
                "the innermost partition folders only)"
            )
        prefix = f"{sub}/" if sub else ""
        if visible[0][1]:
            pending.extend(prefix + n for n, _ in reversed(visible))
            continue
        names = tuple(_unescape(f.partition("=")[0]) for f in sub.split("/")) if sub else ()
        if len(set(names)) < len(names):
            raise ExportError(
                f"table {table}: the folder {where} repeats a partition column: {', '.join(names)}"
            )
        if columns is None:
            columns, first = names, where
        elif names != columns:
            raise ExportError(
                f"table {table}: inconsistent partition folders: {where} is partitioned by "
                f"({', '.join(names)}), but {first} by ({', '.join(columns)}) (every branch "
                "has the same partition columns in the same order)"
            )
        files += [prefix + n for n, _ in visible]
    if not files:
        raise ExportError(f"table {table}: the folder {folder} holds no Parquet file (empty)")
    return TableParts(tuple(sorted(files)), columns or ())


def _some(names: list[str]) -> str:
    return f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"


def check_not_in_files(table: str, partitions: tuple[str, ...], inside: dict[str, str]) -> None:
    """ExportError when a partition column is also a column inside the table's files (compared
    as SQL compares names, case aside): which value holds would be ambiguous, and Spark would
    silently take the folder's. `inside`: the files' columns (they share one schema)."""
    names = {c.lower() for c in inside}
    if both := [c for c in partitions if c.lower() in names]:
        raise ExportError(
            f"table {table}: {', '.join(both)} is both a partition folder's column and a column "
            "inside its Parquet files: which value holds is ambiguous"
        )
