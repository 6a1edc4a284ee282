"""A lake path as EXPORT (`--engine spark`): Spark stages the tables, DuckDB's ingest reads them.

A lake export is EXPORT given as a URI (`scheme://...`: hdfs://, s3a://, s3://, gs://,
abfss://, file://, any scheme the Spark session has a Hadoop file system for). Each contract
table is a folder of Parquet files in it, as Spark writes them (`EXPORT/study_sessions/`
holding part-*.parquet, directly or in Hive partition folders `day=2022-03-01/`, or
`EXPORT/study_sessions.parquet/`; `_SUCCESS`, `.crc` and other hidden names are skipped, as
Spark skips them), or one `TABLE.parquet` file; the folder's name is the table's, or
mapping.toml's `file` stem. The mapping comes from --mapping (a mapping.toml inside the lake is
not read: the audit stops and says so). An adapter's raw inputs (heartbeats, actors) are
tables of the lake like the contract's, staged and counted the same way; an adapter that reads
JSON lines cannot read a lake.

Before any Spark job, every table is looked up in Spark's own listing of the lake (the file
index of a `binaryFile` read: the same on a classic driver and through Spark Connect). A
missing required table (an empty folder is a missing one: the listing sees files), or a table
folder laid out otherwise than a local folder may be (partitions.parquet_parts: a file that is
not Parquet, a sub-folder not `name=value/`, ...) stop the audit, naming the table; so does a
scheme Spark cannot reach, with Spark's reason, and so do a table's files that differ in
columns (each file's own schema is compared). Then, per table, Spark counts the rows (a count
reads only the Parquet footers) and writes the table to the run's staging folder as Parquet,
flat, partition columns as text columns after the files' own, in the lake's row order (its
files in the order of their relative paths, the rows of each in file order, so `_row` means the
same on both sides). DuckDB's ingest then reads the
staging folder as a local export (typing, rejects, `_row`), and every table's rows read
(accepted + rejected) must equal Spark's count, or the audit stops. No row passes through the
Python driver's memory: Spark writes files, DuckDB reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..contract import Contract
from ..errors import ExportError
from ..ingest import IngestResult
from ..mapping import Mapping
from ..partitions import check_not_in_files, parquet_parts
from ..sources import FOLDER_SUFFIXES, check_same_columns

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# hidden columns the staging sorts by: the lake file and the row in it
_FILE, _ROW = "__auditor_lake_file", "__auditor_lake_row"


def lake_uri(export: Path | str) -> str | None:
    """EXPORT as a lake URI (without trailing slashes), or None for a local folder."""
    text = str(export)
    if not _URI.match(text):
        return None
    while text.endswith("/") and not text.endswith("://"):
        text = text[:-1]
    return text


@dataclass(frozen=True)
class LakeTable:
    """One contract table of a lake export: where it is, its folder's name, Spark's count."""

    table: str
    uri: str
    name: str  # the folder's (or file's) name, as ingest finds it in the staging folder
    rows: int = -1
    partitions: tuple[str, ...] = ()  # its partition columns, outermost first
    files: tuple[str, ...] = ()  # its Parquet files' URIs, in the order of their paths


def check_lake(
    uri: str, engine: str, adapter: str | None = None, json_inputs: tuple[str, ...] = ()
) -> None:
    """What a lake export needs, checked before any work: the Spark engine; an adapter whose
    inputs are Parquet tables (one that reads JSON lines cannot read a lake's Parquet)."""
    if engine != "spark":
        local = uri.removeprefix("file://") if uri.startswith("file:///") else None
        hint = f", or give the local folder {local} as a path (DuckDB reads it)" if local else ""
        raise ExportError(
            f"EXPORT {uri} is a lake path (a URI), which only Spark reads: use --engine spark{hint}"
        )
    if adapter and json_inputs:
        raise ExportError(
            f"adapter {adapter} reads {', '.join(json_inputs)} as JSON lines, and a lake export "
            "holds Parquet tables: give the raw files in a local folder (docs/engines.md)"
        )


def _listing(spark: Any, uri: str) -> list[str]:
    """Every file under the lake Spark's readers see (not `_*` or `.*`), as paths relative to
    it: Spark's own file index (`inputFiles`, no job), the same on a classic driver and
    through Spark Connect. ExportError with Spark's reason when the session cannot reach the
    scheme (s3a:// without the hadoop-aws jar) or the folder does not exist."""
    try:
        files = (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load(uri)
            .inputFiles()
        )
    except Exception as exc:  # AnalysisException, Py4JJavaError, a Connect error
        reason = _reason(exc)
        if "PATH_NOT_FOUND" in reason:
            raise ExportError(f"lake export {uri} does not exist or is not a folder") from None
        raise ExportError(
            f"Spark cannot reach {uri}: {reason} (a scheme needs its Hadoop file system on "
            "Spark's class path; s3a: the hadoop-aws jar, e.g. --spark-conf "
            "spark.jars.packages=org.apache.hadoop:hadoop-aws:VERSION)"
        ) from None
    root = urlparse(uri).path.rstrip("/")
    relative = []
    for file in files:
        path = unquote(urlparse(file).path)
        if path == root or not path.startswith(root + "/"):
            raise ExportError(f"lake export {uri} does not exist or is not a folder")
        relative.append(path[len(root) + 1 :])
    return sorted(relative)


def _entries(relative: list[str], folder: str = "") -> list[tuple[str, bool]]:
    """(name, is_folder) of what `folder` (relative; "" for the root) holds, from the listing:
    a folder is seen by the files in it (an empty one is not seen at all)."""
    prefix = f"{folder}/" if folder else ""
    entries = set()
    for path in relative:
        if path.startswith(prefix):
            head, _, rest = path[len(prefix) :].partition("/")
            entries.add((head, bool(rest)))
    return sorted(entries)


def _lister(relative: list[str], folder: str) -> Callable[[str], list[tuple[str, bool]]]:
    """What `_entries` gives for `folder` and each folder under it (by its path relative to
    `folder`), for partitions.parquet_parts: built in one pass over the listing, not one per
    partition folder (a lake table may have thousands of each)."""
    tree: dict[str, set[tuple[str, bool]]] = {}
    for path in relative:
        if path.startswith(f"{folder}/"):
            parts = path[len(folder) + 1 :].split("/")
            for depth, name in enumerate(parts):
                tree.setdefault("/".join(parts[:depth]), set()).add((name, depth < len(parts) - 1))
    return lambda sub: sorted(tree.get(sub, ()))


def _reason(exc: Exception) -> str:
    java = getattr(exc, "java_exception", None)
    text = str(java) if java is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def wanted_tables(
    contract: Contract,
    supplied: frozenset[str] = frozenset(),
    inputs: tuple[tuple[str, bool], ...] = (),
) -> list[tuple[str, bool]]:
    """(table, required) for every table a lake export may hold: the contract's (not required
    when an adapter supplies it), then an adapter's raw inputs."""
    tables = [(t.name, t.required and t.name not in supplied) for t in contract.tables]
    return [*tables, *inputs]


def find_tables(
    spark: Any, uri: str, wanted: list[tuple[str, bool]], mapping: Mapping, has_mapping: bool
) -> list[LakeTable]:
    """Every wanted table present in the lake; ExportError for a missing required one (an
    empty folder is a missing one: the listing sees files), a folder that holds what is not
    Parquet, or a lake Spark cannot list."""
    relative = _listing(spark, uri)
    present = _entries(relative)
    if ("mapping.toml", False) in present and not has_mapping:
        raise ExportError(
            f"{uri}/mapping.toml: a lake's mapping.toml is not read; copy it and give it "
            "with --mapping FILE"
        )
    found, missing = [], []
    names = dict(present)
    for table, required in wanted:
        stem = mapping.for_table(table).file or table
        here = [f"{stem}{s}" for s in FOLDER_SUFFIXES if names.get(f"{stem}{s}")]
        here += [f"{stem}.parquet"] * (names.get(f"{stem}.parquet") is False)
        if len(here) > 1:
            raise ExportError(
                f"table {table} is given by several folders ({', '.join(here)}); keep one"
            )
        if not here:
            if required:
                missing.append(f"{stem}/")
            continue
        where = f"{uri}/{here[0]}"
        columns: tuple[str, ...] = ()
        files: tuple[str, ...] = (where,)
        if names[here[0]]:  # a folder: Parquet files, flat or in partition folders
            parts = parquet_parts(table, where, _lister(relative, here[0]))
            columns, files = parts.columns, tuple(f"{where}/{f}" for f in parts.files)
        found.append(LakeTable(table, where, here[0], partitions=columns, files=files))
    if missing:
        has = ", ".join(n + "/" * d for n, d in present) or "(nothing)"
        raise ExportError(
            f"missing (or empty) table folder(s) in the lake: {', '.join(missing)}; {uri} has: "
            f"{has}"
        )
    return found


def file_schemas(spark: Any, uri: str, files: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """(file path relative to `uri`, column -> Spark type) of each Parquet file, from its own
    footer (a read of one file infers that file's schema: no job). Spark reads a folder with
    one file's schema, so the files are compared before it does (sources.check_same_columns),
    and a partition column must not be among their columns (partitions.check_not_in_files).
    An analysis call takes ~0.1 s: eight at a time."""
    from concurrent.futures import ThreadPoolExecutor

    def schema(file: str) -> tuple[str, dict[str, str]]:
        fields = spark.read.parquet(file).schema.fields
        name = unquote(file.removeprefix(f"{uri}/"))
        return name, {f.name: f.dataType.simpleString() for f in fields}

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(schema, files))


@contextmanager
def _conf(spark: Any, key: str, value: str) -> Iterator[None]:
    """The session's `key` set to `value` for the block, then as it was."""
    before = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


# NOTE: Spark writes a zoned timestamp as INT96 by default, which DuckDB reads as a zone-less
# time (UTC's wall clock): as INT64 micros adjusted to UTC it stays an instant, which ingest
# turns into Shanghai's wall clock exactly as when DuckDB reads the lake's own file.
_MICROS = ("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
# NOTE: a partition value stays text (`day=2022-03-01` a string, `project_id=007` keeps its
# zeros), as DuckDB's read of a local folder gives it: ingest types a contract column
_AS_TEXT = ("spark.sql.sources.partitionColumnTypeInference.enabled", "false")


def stage_table(spark: Any, uri: str, target: Path) -> int:
    """Spark's count of the lake table at `uri` (footers only), and the table written to
    `target` as Parquet files in the lake's order: by the file's path (partition folders,
    then file name), then row in the file. A partition column is read as text and written
    as a column of the staged files, after the files' own."""
    from pyspark.sql import functions as F

    with _conf(spark, *_AS_TEXT), _conf(spark, *_MICROS):
        frame = spark.read.parquet(uri)
        rows = int(frame.count())
        # NOTE: file_path is a URI (`%` as %25, a space as %20): decoded, the order is that of
        # the paths themselves, as DuckDB's read of a local folder has it (`+` is no space)
        path = F.url_decode(F.replace(F.col("_metadata.file_path"), F.lit("+"), F.lit("%2B")))
        ordered = (
            frame.select("*", path.alias(_FILE), F.col("_metadata.row_index").alias(_ROW))
            .orderBy(_FILE, _ROW)
            .drop(_FILE, _ROW)
        )
        # NOTE: a file:// URI, not a bare path: on a cluster a bare path would be resolved
        # against the cluster's default file system (HDFS on YARN), not the shared folder
        ordered.write.mode("error").parquet(target.resolve().as_uri())
    return rows


def stage(
    spark: Any,
    uri: str,
    wanted: list[tuple[str, bool]],
    mapping: Mapping,
    folder: Path,
    has_mapping: bool,
    progress: Callable[[str], None] | None = None,
) -> dict[str, LakeTable]:
    """Stage every wanted table of the lake (`wanted_tables`) into `folder`, as ingest and an
    adapter find them there; per table, where it was and Spark's count."""
    tables = find_tables(spark, uri, wanted, mapping, has_mapping)
    for t in tables:  # every table's files agree on their columns, before any is staged
        try:
            schemas = file_schemas(spark, t.uri, t.files)
            check_same_columns(t.table, schemas)
            check_not_in_files(t.table, t.partitions, schemas[0][1])
        except ExportError:
            raise
        except Exception as exc:  # a file that is not Parquet after all
            raise ExportError(
                f"table {t.table}: Spark cannot read {t.uri}: {_reason(exc)}"
            ) from None
    folder.mkdir(parents=True, exist_ok=True)
    staged = {}
    for t in tables:
        if progress:
            progress(f"staging {t.uri} on Spark")
        try:
            rows = stage_table(spark, t.uri, folder / t.name)
        except Exception as exc:  # AnalysisException, Py4JJavaError: a file Spark cannot read
            raise ExportError(
                f"table {t.table}: Spark cannot read {t.uri}: {_reason(exc)}"
            ) from None
        staged[t.table] = LakeTable(t.table, t.uri, t.name, rows, t.partitions)
    return staged


def check_counts(staged: dict[str, LakeTable], ingested: IngestResult) -> None:
    """Every lake table's rows as Spark counted them must be the rows ingest (or the adapter,
    for its inputs) read, accepted + rejected; ExportError otherwise."""
    for name, t in sorted(staged.items()):
        read = ingested.rows_read.get(name)
        if read != t.rows:
            raise ExportError(
                f"table {name}: Spark counted {t.rows} rows in {t.uri}, but ingest read {read} "
                "(accepted + rejected) from the staged copy: rows would be lost, so the audit "
                "stops"
            )
