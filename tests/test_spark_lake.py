"""A lake path as EXPORT: Spark stages the tables, DuckDB's ingest reads them (GitHub issue 8).

The online sample is written as a lake: each table a folder of several Parquet part files
(text columns, as DuckDB reads the CSV), with `_SUCCESS`, a `_committed_` marker and a hidden
file beside them, one table as `signins.parquet/`. The same lake is audited as a plain local
folder (DuckDB reads the folders itself) and as a `file://` URI on Spark (Spark stages it);
both must be the audit of the original CSV sample. Bad lakes stop with exit 2, naming the
table, before any fact is computed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.engines import spark_lake
from auditor.errors import AuditorError
from auditor.partitions import is_hidden
from auditor.verify import verify_inputs
from tests.test_spark_audit import SAMPLES, _audit, assert_same_audit

pytestmark = pytest.mark.xdist_group("spark")

PARTS = 3


def write_lake(export: Path, lake: Path) -> dict[str, int]:
    """Every CSV of `export` as a folder of PARTS Parquet files in `lake`, rows in order;
    rows per table."""
    rows = {}
    for csv in sorted(export.glob("*.csv")):
        table = csv.stem
        folder = lake / (f"{table}.parquet" if table == "signins" else table)
        folder.mkdir(parents=True)
        data = duckdb.sql(
            "SELECT * FROM read_csv(?, header = true, all_varchar = true)", params=[str(csv)]
        ).to_arrow_table()
        cuts = [data.num_rows * i // PARTS for i in range(PARTS + 1)]
        for i in range(PARTS):
            name = f"part-{i:05d}-7b1e-c000.snappy.parquet"
            pq.write_table(data.slice(cuts[i], cuts[i + 1] - cuts[i]), folder / name)
        (folder / "_SUCCESS").write_bytes(b"")
        (folder / "_committed_7b1e").write_bytes(b"{}")  # a commit marker, as Databricks'
        (folder / ".part-00000.swp").write_bytes(b"x")  # hidden: Spark and ingest skip it
        rows[table] = data.num_rows
    return rows


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lake") / "export"
    write_lake(SAMPLES["online"][0], folder)
    return folder


def _copy(lake: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(lake, tmp_path / "export"))


def _cli(export: str, out: Path, *args: str) -> object:
    return CliRunner().invoke(
        cli,
        ["audit", export, "--policy", "shanghai-2022", "--out", str(out), "--as-of",
         "2023-06-30", "--no-reports", *args],
    )  # fmt: skip


def _as_csv_names(text: bytes, tables: list[str]) -> bytes:
    """The CSV sample's papers name a bad row's file `claims.csv`; the lake's, its folder."""
    for table in tables:
        text = text.replace(f"{table}.csv".encode(), table.encode())
    return text


def test_lake_export_gives_the_same_audit(lake: Path, spark, tmp_path: Path) -> None:
    export, policy, as_of = SAMPLES["online"]
    _audit(export, policy, tmp_path / "csv", as_of, "duckdb")
    local = _audit(lake, policy, tmp_path / "duckdb", as_of, "duckdb")  # a plain local folder
    # the local lake is the CSV sample's audit, but for where a bad row was (claims, not
    # claims.csv): subsidy byte for byte, findings and rejects once the names are the same
    csv_out, duck_out = tmp_path / "csv", tmp_path / "duckdb"
    assert (duck_out / "subsidy.csv").read_bytes() == (csv_out / "subsidy.csv").read_bytes()
    tables = [p.stem for p in export.glob("*.csv")]
    for paper in ("findings.csv", "rejects.csv"):
        ours = (duck_out / paper).read_bytes()
        assert ours == _as_csv_names((csv_out / paper).read_bytes(), tables), paper
    assert b"claims,claims,29,amount" in (duck_out / "rejects.csv").read_bytes()  # row kept
    manifests = [json.loads((o / "manifest.json").read_text()) for o in (csv_out, duck_out)]
    assert manifests[0]["counts"] == manifests[1]["counts"]
    assert manifests[1]["inputs"]["signins"]["file"] == "signins.parquet"
    assert {c.status for c in verify_inputs(duck_out)} == {"same"}  # folders hashed
    assert local.exit_code == 1

    uri = lake.as_uri() + "/"
    run = _audit(uri, policy, tmp_path / "spark", as_of, "spark")  # type: ignore[arg-type]
    assert run.exit_code == local.exit_code
    assert_same_audit(duck_out, tmp_path / "spark")  # every paper and report, byte for byte
    manifest = json.loads((tmp_path / "spark" / "manifest.json").read_text())
    assert manifest["export_dir"] == uri.rstrip("/")
    sessions = manifest["inputs"]["study_sessions"]
    assert sessions["lake"] == f"{uri}study_sessions" and sessions["sha256"] is None
    assert sessions["rows_read"] == run.counts["rows.study_sessions"] == 351
    assert not (tmp_path / "spark" / ".lake").exists()
    with pytest.raises(AuditorError, match=r"audited a lake export .* nothing to verify"):
        verify_inputs(tmp_path / "spark")


def test_verify_sees_a_changed_part_file(lake: Path, tmp_path: Path) -> None:
    from auditor.papers import sha256_of

    export = _copy(lake, tmp_path)
    before = sha256_of(export / "claims")
    (export / "claims" / "_SUCCESS").write_bytes(b"x")  # hidden: not part of the table
    assert sha256_of(export / "claims") == before
    part = next((export / "claims").glob("part-00001*"))
    table = pq.read_table(part)
    pq.write_table(table.slice(0, table.num_rows - 1), part)
    assert sha256_of(export / "claims") != before


def test_staged_copy_keeps_the_lakes_rows_order_and_instants(spark, tmp_path: Path) -> None:
    """Spark reads a folder's files largest first; the staged copy must still hold the rows in
    the lake's order (file names, then rows), so that ingest numbers them as in the lake, and
    a zoned time must stay an instant (Spark's default INT96 would not)."""
    import datetime as dt

    import pyarrow as pa

    from auditor.sources import load_raw

    lake = tmp_path / "lake" / "t"
    lake.mkdir(parents=True)
    start, sizes = 0, [3, 5000, 40, 1200]  # not in name order by size
    for i, size in enumerate(sizes):
        n = list(range(start, start + size))
        at = [dt.datetime(2022, 3, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=k) for k in n]
        table = pa.table({"n": n, "at": pa.array(at, pa.timestamp("us", tz="UTC"))})
        pq.write_table(table, lake / f"part-{i:05d}.parquet", row_group_size=700)
        start += size
    staged = tmp_path / "stage" / "t"
    assert spark_lake.stage_table(spark, lake.as_uri(), staged) == sum(sizes)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    src = load_raw(con, "t", staged, tmp_path)
    assert src.rows == sum(sizes)
    assert "TIME ZONE" in src.types[src.headers.index("at")]
    wrong = con.execute(
        "SELECT count(*) FROM raw_t WHERE c0 <> _row - 1 "
        "OR epoch(c1) <> epoch(TIMESTAMPTZ '2022-03-01 00:00:00+00') + c0"
    ).fetchall()[0][0]
    assert wrong == 0


# --- a bad lake stops with exit 2 before any fact (Spark: staging only) ---


def _partition(folder: Path) -> None:
    """A partition sub-folder (`day=1/part-...`) beside Parquet files."""
    (folder / "day=1").mkdir()
    shutil.move(next(folder.glob("part-00002-*")), folder / "day=1" / "part-00002.parquet")


def _mkempty(export: Path, table: str) -> None:
    for part in (export / table).glob("part-*"):
        part.unlink()


@pytest.mark.parametrize(
    ("spoil", "messages"),
    [
        (
            lambda e: shutil.rmtree(e / "claims"),
            ["missing (or empty) table folder(s) in the lake: claims/"],
        ),
        (
            lambda e: _mkempty(e, "trainees"),  # Spark's listing sees files: as if missing
            ["missing (or empty) table folder(s) in the lake: trainees/"],
        ),
        (
            lambda e: (e / "study_sessions" / "part-00003.csv").write_text("a,b\n"),
            [
                "table study_sessions: the folder file://",
                "not a Parquet file or a partition folder (name=value/): part-00003.csv",
            ],
        ),
        (
            lambda e: _partition(e / "signins.parquet"),
            [
                "table signins: the folder file://",
                "holds both Parquet files and partition folders: day=1/, part-00000",
            ],
        ),
        (lambda e: (e / "mapping.toml").write_text(""), ["give it with --mapping FILE"]),
    ],
    ids=["missing-table", "empty-folder", "not-parquet", "files-and-partition", "mapping-in-lake"],
)
def test_bad_lake_is_exit_2_naming_the_table(
    spoil, messages: list[str], lake: Path, spark, tmp_path: Path
) -> None:
    export = _copy(lake, tmp_path)
    spoil(export)
    result = _cli(export.as_uri(), tmp_path / "o", "--engine", "spark")
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    for message in messages:
        assert message in result.output  # type: ignore[attr-defined]
    assert "staging" not in result.output  # type: ignore[attr-defined]  # before any Spark job
    assert not list(tmp_path.glob("o*")) and not list(tmp_path.glob(".o.*"))


def _rewrite_part(folder: Path, index: int, change) -> str:
    """Part file `index` of a table folder rewritten by `change(arrow table)`; its name."""
    part = sorted(folder.glob("part-*.parquet"))[index]
    pq.write_table(change(pq.read_table(part)), part)
    return part.name


def _first_part_without_device(export: Path) -> list[str]:
    name = _rewrite_part(export / "study_sessions", 0, lambda t: t.drop(["device_id"]))
    # DuckDB and Spark would take the first file's columns: device_id gone for every row
    return ["table study_sessions: its Parquet files differ in columns: ", "has device_id besides",
            f"(compared with {name})"]  # fmt: skip


def _amount_as_integers(export: Path) -> list[str]:
    def change(t):
        return t.set_column(t.schema.get_field_index("amount"), "amount", pa.array([0] * len(t)))

    name = _rewrite_part(export / "claims", 2, change)
    return [f"table claims: its Parquet files differ in columns: {name} amount is "]


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize(
    "spoil", [_first_part_without_device, _amount_as_integers], ids=["lacks-column", "other-type"]
)
def test_part_files_that_differ_in_columns_are_exit_2(
    spoil, engine: str, lake: Path, spark, tmp_path: Path
) -> None:
    """A table's files must share one schema: both readers would take one file's columns for
    all, dropping or emptying the others' without a word."""
    export = _copy(lake, tmp_path)
    messages = spoil(export)
    given = export.as_uri() if engine == "spark" else str(export)
    result = _cli(given, tmp_path / "o", "--engine", engine)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    for message in messages:
        assert message in result.output  # type: ignore[attr-defined]
    assert "staging" not in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob(".o.*"))


@pytest.mark.parametrize(
    ("export", "messages"),
    [
        (
            "s3a://bucket/export/",
            [
                "Spark cannot reach s3a://bucket/export: ",
                "Class org.apache.hadoop.fs.s3a.S3AFileSystem not found",
            ],
        ),
        (
            "nosuch://host/export",
            ["Spark cannot reach nosuch://host/export: ", 'No FileSystem for scheme "nosuch"'],
        ),
        ("file:///no/such/lake", ["lake export file:///no/such/lake does not exist"]),
    ],
    ids=["s3a-without-hadoop-aws", "unknown-scheme", "no-such-folder"],
)
def test_unreachable_lake_is_exit_2_with_sparks_reason(
    export: str, messages: list[str], spark, tmp_path: Path
) -> None:
    result = _cli(export, tmp_path / "o", "--engine", "spark")
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    for message in messages:
        assert message in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob(".o.*"))


def _cut_after_staging(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Staging that loses the last row of table `name`'s largest staged file after Spark
    counted and wrote it (a file that reaches the driver's folder short)."""
    stage_table = spark_lake.stage_table

    def short(spark_session, uri: str, target: Path) -> int:
        rows = stage_table(spark_session, uri, target)
        if target.name == name:
            part = max(target.glob("*.parquet"), key=lambda p: p.stat().st_size)
            table = pq.read_table(part)
            pq.write_table(table.slice(0, table.num_rows - 1), part)
        return rows

    monkeypatch.setattr(spark_lake, "stage_table", short)


def test_rows_lost_between_spark_and_ingest_stop_the_audit(
    lake: Path, spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a cluster the staged files are written by the executors into a folder the driver
    must share; a part file that arrives short (here: its last row cut off after Spark
    wrote it) must stop the audit, not shrink it."""
    _cut_after_staging(monkeypatch, "study_sessions")
    result = _cli(lake.as_uri(), tmp_path / "o", "--engine", "spark")
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert (
        f"table study_sessions: Spark counted 351 rows in {lake.as_uri()}/study_sessions, "
        "but ingest read 350"
    ) in result.output  # type: ignore[attr-defined]
    assert "facts:" not in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob(".o.*"))


# --- an adapter's raw inputs in a lake ---

HEARTBEAT = SAMPLES["heartbeat-adapter"][0]


@pytest.fixture(scope="module")
def heartbeat_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/heartbeat as a lake: the raw heartbeats and actors as Parquet folders beside
    the contract's tables, study_sessions left out (the adapter supplies it)."""
    folder = tmp_path_factory.mktemp("lake") / "heartbeat"
    write_lake(HEARTBEAT, folder)
    shutil.rmtree(folder / "study_sessions")
    return folder


def test_adapter_reads_its_raw_inputs_from_a_lake(
    heartbeat_lake: Path, spark, tmp_path: Path
) -> None:
    """The heartbeat adapter over a lake: Spark stages its inputs with the contract's tables,
    the adapter sessionises them at ingest as from a local folder, and the audit is the
    local folder's (the same subsidy as the CSV example's)."""
    _, policy, as_of = SAMPLES["heartbeat-adapter"]
    mapping = str(HEARTBEAT / "mapping.toml")
    csv_export = tmp_path / "csv-export"
    shutil.copytree(HEARTBEAT, csv_export)
    (csv_export / "study_sessions.csv").unlink()
    _audit(csv_export, policy, tmp_path / "csv", as_of, "duckdb")
    _audit(heartbeat_lake, policy, tmp_path / "duckdb", as_of, "duckdb", mapping=mapping)
    csv_out, duck_out = tmp_path / "csv", tmp_path / "duckdb"
    assert (duck_out / "subsidy.csv").read_bytes() == (csv_out / "subsidy.csv").read_bytes()
    # the findings differ by design: heartbeats.csv has a row with a quote that does not
    # close, which the CSV reader rejects with the text up to the next quote
    ours = (duck_out / "findings.csv").read_bytes().splitlines()
    assert any(b",UNMAPPED_ACTOR," in line for line in ours)  # the adapter's own finding

    uri = heartbeat_lake.as_uri()
    run = _audit(uri, policy, tmp_path / "spark", as_of, "spark", mapping=mapping)  # type: ignore[arg-type]
    assert_same_audit(duck_out, tmp_path / "spark")
    manifest = json.loads((tmp_path / "spark" / "manifest.json").read_text())
    assert manifest["inputs"]["heartbeats"]["lake"] == f"{uri}/heartbeats"
    assert run.counts["rows.study_sessions"] > 0  # sessions the adapter made


def test_rows_lost_from_an_adapters_input_stop_the_audit(
    heartbeat_lake: Path, spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark's count of a raw input must be the rows the adapter read, as for a contract table."""
    _cut_after_staging(monkeypatch, "heartbeats")
    mapping = str(HEARTBEAT / "mapping.toml")
    result = _cli(
        heartbeat_lake.as_uri(), tmp_path / "o", "--engine", "spark", "--mapping", mapping
    )
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "table heartbeats: Spark counted" in result.output  # type: ignore[attr-defined]
    assert "facts:" not in result.output  # type: ignore[attr-defined]


def test_lake_without_an_adapters_required_input_is_exit_2(
    heartbeat_lake: Path, tmp_path: Path, spark
) -> None:
    export = _copy(heartbeat_lake, tmp_path)
    shutil.rmtree(export / "heartbeats")
    mapping = str(HEARTBEAT / "mapping.toml")
    result = _cli(export.as_uri(), tmp_path / "o", "--engine", "spark", "--mapping", mapping)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "missing (or empty) table folder(s) in the lake: heartbeats/" in result.output  # type: ignore[attr-defined]


# --- no Spark needed ---


@pytest.mark.parametrize(
    ("export", "message"),
    [
        (
            "s3a://bucket/export",
            "is a lake path (a URI), which only Spark reads: use --engine spark",
        ),
        ("file:///mnt/lake/export", "or give the local folder /mnt/lake/export as a path"),
    ],
)
def test_lake_path_on_duckdb_is_exit_2(export: str, message: str, tmp_path: Path) -> None:
    result = _cli(export, tmp_path / "o")
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]
    assert not list(tmp_path.glob(".o.*"))


def test_lake_path_with_a_json_lines_adapter_is_exit_2(tmp_path: Path) -> None:
    result = _cli("hdfs://nn/exports/2023", tmp_path / "o", "--engine", "spark", "--adapter",
                  "xapi")  # fmt: skip
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert (
        "adapter xapi reads statements as JSON lines, and a lake export holds Parquet tables"
        in result.output  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda e: _mkempty(e, "trainees"), "table trainees: the folder trainees holds no Parquet"),
        (
            lambda e: (e / "claims" / "part-00003.json").write_text("{}"),
            "table claims: the folder claims holds what is not a Parquet file or a partition "
            "folder (name=value/): part-00003.json",
        ),
        (
            lambda e: shutil.copytree(e / "claims", e / "claims.parquet"),
            "table claims is given by several files (claims/, claims.parquet/)",
        ),
    ],
    ids=["empty-folder", "not-parquet", "two-folders"],
)
def test_bad_local_lake_folder_is_exit_2_on_duckdb(
    spoil, message: str, lake: Path, tmp_path: Path
) -> None:
    export = _copy(lake, tmp_path)
    spoil(export)
    result = _cli(str(export), tmp_path / "o")
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]


# --- Hive-partitioned table folders (TABLE/day=.../part-*.parquet) ---

# study_sessions by a column the contract does not have (an ignored header), claims by one
# it has (then not inside the files, as Spark's partitionBy writes it)
PARTITIONED = {"study_sessions": "day", "claims": "project_id"}


def _partition_key(table: str, row: dict[str, str | None]) -> str | None:
    if table == "study_sessions":
        return (row["started_at"] or "")[:10] or None
    return row[PARTITIONED[table]]


def write_partitioned_lake(export: Path, lake: Path, csv_export: Path) -> None:
    """The CSV sample as a lake (write_lake), but study_sessions and claims partitioned as in
    PARTITIONED, two part files per partition; and `csv_export`, the CSV sample with those
    tables' rows in the lake's order (partition folders, then files, then rows), whose audit
    must then be the lake's, row numbers included."""
    import csv as csv_module

    import pyarrow as pa

    write_lake(export, lake)
    shutil.copytree(export, csv_export)
    (lake / "_SUCCESS").write_bytes(b"")
    (lake / "._SUCCESS.crc").write_bytes(b"")
    for table, column in PARTITIONED.items():
        shutil.rmtree(lake / table)
        data = duckdb.sql(
            "SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            params=[str(export / f"{table}.csv")],
        ).to_arrow_table()
        groups: dict[str, list[dict[str, str | None]]] = {}
        for row in data.to_pylist():
            key = _partition_key(table, row)
            groups.setdefault(f"{column}={key or '__HIVE_DEFAULT_PARTITION__'}", []).append(row)
        inside = [c for c in data.column_names if c != column]
        ordered = []
        for folder in sorted(groups):
            rows = groups[folder]
            leaf = lake / table / folder
            leaf.mkdir(parents=True)
            half = (len(rows) + 1) // 2
            for i, part in enumerate([rows[:half], rows[half:]]):
                if part:
                    name = f"part-{i:05d}-7b1e.c000.snappy.parquet"
                    pq.write_table(
                        pa.Table.from_pylist(
                            [{c: r[c] for c in inside} for r in part],
                            pa.schema([(c, pa.string()) for c in inside]),
                        ),
                        leaf / name,
                    )
            # NOTE: hidden, skipped at every level (not a .crc of a part file: Hadoop's local
            # file system would check the part against it)
            (leaf / ".part-00000.swp").write_bytes(b"x")
            hidden = leaf / "_temporary" / "0"  # a failed task's leftovers
            hidden.mkdir(parents=True)
            (hidden / "part-00000.parquet").write_bytes(b"not parquet")
            ordered += rows
        with (csv_export / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv_module.writer(fh, lineterminator="\n")
            writer.writerow(data.column_names)
            writer.writerows([[r[c] or "" for c in data.column_names] for r in ordered])


@pytest.fixture(scope="module")
def parted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the partitioned lake, the CSV sample in its rows' order)."""
    root = tmp_path_factory.mktemp("parted")
    write_partitioned_lake(SAMPLES["online"][0], root / "export", root / "csv")
    return root / "export", root / "csv"


def test_partitioned_lake_gives_the_same_audit(
    parted: tuple[Path, Path], spark, tmp_path: Path
) -> None:
    lake, csv_export = parted
    export, policy, as_of = SAMPLES["online"]
    assert (lake / "claims" / "project_id=PB1").is_dir()
    _audit(export, policy, tmp_path / "sample", as_of, "duckdb")
    _audit(csv_export, policy, tmp_path / "csv", as_of, "duckdb")
    local = _audit(lake, policy, tmp_path / "duckdb", as_of, "duckdb")
    csv_out, duck_out = tmp_path / "csv", tmp_path / "duckdb"
    # the sample's subsidy does not depend on the rows' order; findings and rejects name rows
    sample_subsidy = (tmp_path / "sample" / "subsidy.csv").read_bytes()
    assert (duck_out / "subsidy.csv").read_bytes() == sample_subsidy
    assert (csv_out / "subsidy.csv").read_bytes() == sample_subsidy
    tables = [p.stem for p in export.glob("*.csv")]
    for paper in ("findings.csv", "rejects.csv"):
        ours = (duck_out / paper).read_bytes()
        assert ours == _as_csv_names((csv_out / paper).read_bytes(), tables), paper
    manifests = [json.loads((o / "manifest.json").read_text()) for o in (csv_out, duck_out)]
    assert manifests[0]["counts"] == manifests[1]["counts"]
    inputs = manifests[1]["inputs"]
    assert inputs["study_sessions"]["ignored_headers"] == ["day"]  # reported, not an error
    assert inputs["claims"]["ignored_headers"] == []  # project_id: a contract column
    assert local.exit_code == 1

    run = _audit(lake.as_uri(), policy, tmp_path / "spark", as_of, "spark")  # type: ignore[arg-type]
    assert run.exit_code == local.exit_code
    assert_same_audit(duck_out, tmp_path / "spark")


def test_verify_covers_the_files_under_partitions(
    parted: tuple[Path, Path], tmp_path: Path
) -> None:
    lake = Path(shutil.copytree(parted[0], tmp_path / "export"))
    policy, as_of = SAMPLES["online"][1:]
    _audit(lake, policy, tmp_path / "o", as_of, "duckdb")
    assert {c.status for c in verify_inputs(tmp_path / "o")} == {"same"}
    leaf = lake / "claims" / "project_id=PB1"
    (leaf / "_SUCCESS").write_bytes(b"x")  # hidden: not part of the table
    assert {c.status for c in verify_inputs(tmp_path / "o")} == {"same"}
    shutil.move(leaf, lake / "claims" / "project_id=PB9")  # the same bytes, another partition
    changed = [c.path.name for c in verify_inputs(tmp_path / "o") if c.status != "same"]
    assert changed == ["claims"]


def test_partition_values_are_text_unescaped_or_null_on_both_engines(spark, tmp_path: Path) -> None:
    """Two levels of partitions, values that type inference, URL-encoding and Hive's default
    partition would change: both engines read the same text (or NULL) for the same `_row`,
    rows numbered along the files' relative paths (`a b` before `a!b`, though a URI would
    encode the space as %20 and sort it after the `!`)."""
    import pyarrow as pa

    from auditor.sources import load_raw

    folders = {
        "k=007": "007",  # no inference: text, its zeros kept
        "k=2022-03-01": "2022-03-01",
        "k=__HIVE_DEFAULT_PARTITION__": None,
        "k=a b": "a b",
        "k=a!b": "a!b",
        "k=a%3Ab": "a:b",  # Hive's escape of ':'
        "k=a+b": "a+b",
    }
    lake = tmp_path / "lake" / "t"
    n, expected = 0, []
    for g in ("g=1", "g=2"):
        for folder, value in sorted(folders.items()):
            leaf = lake / g / folder
            leaf.mkdir(parents=True)
            for part in ("part-00000.parquet", "part-00001.parquet"):
                pq.write_table(pa.table({"n": [n, n + 1]}), leaf / part)
                expected += [(n, g[2:], value), (n + 1, g[2:], value)]
                n += 2
    (lake / "g=2" / "_SUCCESS").write_bytes(b"")
    assert [e[0] for e in expected] == list(range(n))  # written in relative-path order
    con = duckdb.connect()
    local = load_raw(con, "t", lake, tmp_path)
    assert local.headers == ("n", "g", "k") and local.types[1:] == ("VARCHAR", "VARCHAR")
    local_rows = con.execute("SELECT c0, c1, c2, _row FROM raw_t ORDER BY _row").fetchall()
    assert local_rows == [(*e, i) for i, e in enumerate(expected, 1)]

    staged = tmp_path / "stage" / "t"
    assert spark_lake.stage_table(spark, lake.as_uri(), staged) == n
    assert spark.conf.get("spark.sql.sources.partitionColumnTypeInference.enabled") == "true"
    src = load_raw(con, "t", staged, tmp_path)
    assert src.headers == local.headers and src.types == local.types
    assert con.execute("SELECT c0, c1, c2, _row FROM raw_t ORDER BY _row").fetchall() == (
        local_rows
    )


def _leaf(lake: Path, table: str = "claims", folder: str = "project_id=PB1") -> Path:
    return next((lake / table / folder).glob("part-*.parquet"))


def _column_also_inside(lake: Path) -> None:
    """project_id inside every file of claims too (in one file only, the files would differ in
    columns: another refusal)."""
    for part in (lake / "claims").glob("project_id=*/part-*.parquet"):
        table = pq.read_table(part)
        pq.write_table(table.append_column("project_id", table.column(0)), part)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            lambda e: shutil.copy(_leaf(e), (e / "claims" / "foo").mkdir() or e / "claims" / "foo"),
            "the folder {claims} holds what is not a Parquet file or a partition folder "
            "(name=value/): foo/",
        ),
        (
            lambda e: shutil.copy(_leaf(e), e / "claims" / "part-00009.parquet"),
            "the folder {claims} holds both Parquet files and partition folders: "
            "part-00009.parquet, project_id=PA1/",
        ),
        (
            lambda e: (e / "claims" / "project_id=PB1").rename(e / "claims" / "project=PB1"),
            "inconsistent partition folders: {claims}/project_id=PA1 is partitioned by "
            "(project_id), but {claims}/project=PB1 by (project)",
        ),
        (
            lambda e: shutil.move(
                e / "claims" / "project_id=PB1", e / "claims" / "project_id=PA1" / "x=1"
            ),
            "the folder {claims}/project_id=PA1 holds both Parquet files and partition folders",
        ),
        (
            _column_also_inside,
            "project_id is both a partition folder's column and a column",
        ),
    ],
    ids=["foo-folder", "files-beside-partitions", "other-names", "deeper-branch", "column-inside"],
)
def test_bad_partition_layout_is_exit_2_naming_the_table(
    spoil, message: str, engine: str, parted: tuple[Path, Path], tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    export = _copy(parted[0], tmp_path)
    spoil(export)
    if engine == "spark":
        request.getfixturevalue("spark")
    where = export.as_uri() if engine == "spark" else str(export)
    claims = f"{where}/claims" if engine == "spark" else "claims"
    result = _cli(where, tmp_path / "o", "--engine", engine)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    output = " ".join(result.output.split())  # type: ignore[attr-defined]
    assert "table claims: " in output
    assert message.format(claims=claims) in output
    assert not list(tmp_path.glob("o*")) and not list(tmp_path.glob(".o.*"))


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_truncated_leaf_file_stops_the_audit(
    engine: str, parted: tuple[Path, Path], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    export = _copy(parted[0], tmp_path)
    part = _leaf(export, "study_sessions", "day=2022-04-11")
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    if engine == "spark":
        request.getfixturevalue("spark")
    where = export.as_uri() if engine == "spark" else str(export)
    result = _cli(where, tmp_path / "o", "--engine", engine)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    output = " ".join(result.output.split())  # type: ignore[attr-defined]
    if engine == "spark":
        assert "table study_sessions: Spark cannot read" in output
    else:
        assert f"file day=2022-04-11/{part.name}: not a readable parquet file" in output
    assert "facts:" not in output


def test_a_lake_listing_and_a_local_folder_give_the_same_parts(parted: tuple[Path, Path]) -> None:
    """find_tables checks a lake table on Spark's listing (files only, relative paths), ingest
    a local one on its folders: the same layout must give the same files and columns."""
    from auditor.partitions import parquet_parts
    from auditor.sources import _folder_parts

    lake = parted[0]
    listing = sorted(
        p.relative_to(lake).as_posix()
        for p in lake.rglob("*")
        if p.is_file() and not any(is_hidden(n) for n in p.relative_to(lake).parts)
    )
    for table in PARTITIONED:
        lister = spark_lake._lister(listing, table)
        parts = parquet_parts(table, table, lister)
        assert parts == _folder_parts(lake / table, table)
        assert parts.columns == (PARTITIONED[table],) and len(parts.files) > 10
        assert list(parts.files) == sorted(parts.files)


@pytest.mark.parametrize("partitioned", [False, True], ids=["flat", "partitioned"])
def test_a_k_v_folder_above_the_table_is_no_column(partitioned: bool, tmp_path: Path) -> None:
    """DuckDB's hive_partitioning would take `run=3/` in the export's own path for a column;
    only the table folder's partition folders are columns."""
    import pyarrow as pa

    from auditor.sources import load_raw

    leaf = tmp_path / "run=3" / "export" / "t" / ("k=%2F" if partitioned else "")
    leaf.mkdir(parents=True)
    pq.write_table(pa.table({"n": [1, 2]}), leaf / "part-00000.parquet")
    con = duckdb.connect()
    src = load_raw(con, "t", tmp_path / "run=3" / "export" / "t", tmp_path)
    assert src.headers == (("n", "k") if partitioned else ("n",)) and src.rows == 2
    rows = con.execute("SELECT * FROM raw_t ORDER BY _row").fetchall()
    assert rows == ([(1, "/", 1), (2, "/", 2)] if partitioned else [(1, 1), (2, 2)])
