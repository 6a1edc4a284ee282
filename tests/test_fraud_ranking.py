"""The issue's acceptance test for the authenticity signals: in a generated export with fraud
planted among many clean enterprises, the planted enterprises are the top of OUT/risk.csv.

The precision it prints is the figure quoted in the README.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from auditor.pipeline import AuditOptions, audit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate_export import default_fraud_enterprises, generate

SESSIONS = 300_000  # 200 enterprises, 5 planted (one or two of each fraud style)


def test_planted_enterprises_are_the_top_of_risk_csv(tmp_path: Path) -> None:
    export, out = tmp_path / "export", tmp_path / "out"
    k = default_fraud_enterprises(SESSIONS)
    generate(SESSIONS, export, "parquet", 7, k)
    run = audit(export, "shanghai-2022", out,
                AuditOptions(as_of=dt.date(2023, 6, 30), reports=False))  # fmt: skip
    assert run.exit_code in (0, 1)
    with (export / "_truth" / "fraud.csv").open(encoding="utf-8", newline="") as fh:
        planted = {row["enterprise_id"]: row["style"] for row in csv.DictReader(fh)}
    with (out / "risk.csv").open(encoding="utf-8", newline="") as fh:
        risk = sorted(csv.DictReader(fh), key=lambda row: int(row["rank"]))
    assert len(planted) == k
    assert [int(row["rank"]) for row in risk] == sorted(int(row["rank"]) for row in risk)
    top = [row["enterprise_id"] for row in risk[:k]]
    hits = [e for e in top if e in planted]
    precision = len(hits) / k
    missed = {e: s for e, s in planted.items() if e not in top}
    print(f"precision@{k} = {precision:.2f}; missed (enterprise: style): {missed}")
    for row in risk[: 2 * k]:
        print(
            row["rank"],
            row["enterprise_id"],
            row["score"],
            planted.get(row["enterprise_id"], "clean"),
        )
    assert precision == 1.0, f"precision@{k} = {precision:.2f}, missed {missed}"
