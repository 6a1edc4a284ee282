"""Turn a generated export into a heartbeat export: the raw log the `heartbeat` adapter reads.

Every study session of the export becomes the pings its player would have sent, one every
`interval` seconds from its start while it plays (the last ping at least one interval before
its end, as the adapter adds one interval after the last). Actors are the platform's user
names (`u` + a hash of the ID), mapped by actors.parquet. The platform's own study_sessions
stays beside the log, so the audit runs the tie-out too; everything else is the export's own
files. Written by DuckDB alone (`unnest(range(...))`, `COPY ... TO`), no Python loop over rows.

    python benchmarks/heartbeats.py EXPORT OUT [--interval 60]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

VERSION = 1  # bump when the derived files change


def derive(export: Path, out: Path, interval: int = 60, memory_limit: str = "3GB") -> int:
    """Write OUT from EXPORT (Parquet); returns the heartbeat rows written."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for path in export.glob("*.parquet"):
        (out / path.name).symlink_to(path.resolve())
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")
    sessions = f"read_parquet('{export / 'study_sessions.parquet'}')"
    con.execute(
        f"COPY (SELECT 'u' || CAST(hash(person_id) % 100000000000 AS VARCHAR) AS actor, "
        f"person_id FROM (SELECT DISTINCT person_id FROM {sessions})) "
        f"TO '{out / 'actors.parquet'}' (FORMAT parquet)"
    )
    con.execute(
        f"""COPY (
            SELECT 'u' || CAST(hash(person_id) % 100000000000 AS VARCHAR) AS actor,
                   project_id, lesson_id,
                   started_at + to_seconds(CAST(i * {interval} AS BIGINT)) AS beat_at,
                   device_id, ip
            FROM (SELECT *, unnest(range(0, greatest(1, CAST(floor(
                      date_diff('second', started_at, ended_at) / {interval}) AS BIGINT))))
                      AS i
                  FROM {sessions})
        ) TO '{out / "heartbeats.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)"""
    )
    rows = int(
        con.execute(
            f"SELECT count(*) FROM read_parquet('{out / 'heartbeats.parquet'}')"
        ).fetchall()[0][0]
    )
    (out / "mapping.toml").write_text(
        f'[adapter]\nname = "heartbeat"\n\n[adapter.settings]\ninterval_seconds = {interval}\n',
        encoding="utf-8",
    )
    con.close()
    return rows


def heartbeat_export_for(export: Path, interval: int) -> Path:
    """The cached heartbeat export derived from EXPORT, derived first when missing or stale."""
    out = export.parent / f"{export.name}-heartbeats-{interval}s"
    marker = out / "derived.json"
    if marker.is_file() and json.loads(marker.read_text())["version"] == VERSION:
        print(f"reusing {out}")
        return out
    start = time.perf_counter()
    rows = derive(export, out, interval)
    seconds = time.perf_counter() - start
    print(f"derived {out} ({rows:,} heartbeats) in {seconds:.1f} s")
    marker.write_text(json.dumps({"version": VERSION, "heartbeats": rows, "seconds": seconds}))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="a generated export (Parquet)")
    parser.add_argument("out", type=Path, help="heartbeat export directory to write")
    parser.add_argument("--interval", type=int, default=60, help="seconds between pings")
    args = parser.parse_args()
    rows = derive(args.export, args.out, args.interval)
    print(f"{rows:,} heartbeats written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
