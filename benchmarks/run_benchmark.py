"""Time the whole audit, phase by phase, on a generated export, against one plain DuckDB pass.

    python benchmarks/run_benchmark.py --sessions 10000000 [--format parquet|csv] [--check-limits]

The audit runs in a fresh child process, so its peak memory (ru_maxrss of the child) counts the
audit alone, not the generator. The yardstick is one plain DuckDB aggregate over the same
study_sessions file in the same run: how far the audit is from the cheapest useful read.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_export import generate

DATA = Path(__file__).resolve().parent / "data"
LIMIT_SECONDS = 120
LIMIT_BYTES = 4 << 30
CHILD = """
import json, sys, datetime as dt
from auditor.pipeline import AuditOptions, audit
run = audit(sys.argv[1], "shanghai-2022", sys.argv[2], AuditOptions(as_of=dt.date(2023, 6, 30)))
print(json.dumps({"exit_code": run.exit_code, "timings": run.timings, "counts": run.counts}))
"""


def plain_pass_seconds(export: Path, fmt: str) -> float:
    """One aggregate over study_sessions, read straight from the file."""
    source = (
        f"read_parquet('{export / 'study_sessions.parquet'}')"
        if fmt == "parquet"
        else (f"read_csv('{export / 'study_sessions.csv'}')")
    )
    con = duckdb.connect()
    start = time.perf_counter()
    # Materialised, so that DuckDB cannot skip the columns it would not need for a count.
    con.execute(
        f"CREATE TEMP TABLE per_claim AS SELECT project_id, person_id, count(*) AS sessions, "
        f"sum(date_diff('second', CAST(started_at AS TIMESTAMP), CAST(ended_at AS TIMESTAMP))) "
        f"AS seconds FROM {source} GROUP BY ALL"
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the audit here instead of a temp folder")
    parser.add_argument("--check-limits", action="store_true", help="exit 1 over 120 s or 4 GiB")
    args = parser.parse_args()

    export = DATA / f"{args.sessions}-{args.format}-s{args.seed}"
    if not (export / f"study_sessions.{args.format}").exists():
        start = time.perf_counter()
        generate(args.sessions, export, args.format, args.seed)
        print(f"generated {export} in {time.perf_counter() - start:.1f} s")
    plain = plain_pass_seconds(export, args.format)

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "out"
        start = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(export), str(out)], capture_output=True, text=True
        )
        wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        return 2
    result = json.loads(child.stdout.strip().splitlines()[-1])
    counts = result["counts"]
    print(f"export: {export.name}  ({args.format})")
    for table in (
        "study_sessions",
        "signins",
        "qa",
        "exams",
        "claims",
        "trainees",
        "projects",
        "enterprises",
    ):
        print(f"  rows.{table:15} {counts[f'rows.{table}']:>12,}")
    print(
        f"  findings {counts['findings']:,}  enterprises {counts['enterprises']:,}  pages {counts['pages']:,}"
    )
    print("phase            seconds")
    for phase, seconds in result["timings"].items():
        print(f"  {phase:14} {seconds:8.2f}")
    print(f"  {'total (wall)':14} {wall:8.2f}")
    print(f"peak memory      {peak / 2**30:.2f} GiB")
    print(
        f"plain DuckDB pass over study_sessions: {plain:.2f} s; audit / plain = {wall / plain:.1f}x"
    )
    if args.check_limits:
        failed = []
        if wall > LIMIT_SECONDS:
            failed.append(f"total {wall:.1f} s > {LIMIT_SECONDS} s")
        if peak > LIMIT_BYTES:
            failed.append(f"peak {peak / 2**30:.2f} GiB > 4 GiB")
        if failed:
            print("LIMITS EXCEEDED: " + "; ".join(failed))
            return 1
        print("limits met: < 120 s and < 4 GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
