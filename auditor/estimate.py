"""`auditor estimate`: from the answered call-back sample to the whole audit.

Estimates the number of claims, and the verified yuan, whose training was not genuine, each with
a 95 % confidence interval (docs/sampling.md). Per stratum, the Horvitz–Thompson total
Σ y/π over the trainees reached, π being the inclusion probability times the stratum's response
rate (unreached trainees are taken to be like the reached ones of their stratum); its variance
is the Hájek–Deville approximation for fixed-size designs, which for the simple random stratum
is exactly the usual N²(1 − f)s²/n. Strata add up; the interval is normal, and never below what
the sample itself found nor above the frame.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EstimateError
from .sampling import FLAGGED, RANDOM

Z95 = 1.959963984540054
REQUIRED = ("stratum", "inclusion_probability", "verified_amount", "reached", "trained_genuinely")
YES = {"yes", "y", "是", "true", "1"}
NO = {"no", "n", "否", "false", "0"}


@dataclass(frozen=True)
class Answer:
    """One sampled claim, as answered."""

    stratum: str
    probability: float
    amount: float
    reached: bool
    genuine: bool | None  # None when not reached


@dataclass(frozen=True)
class Interval:
    """A total with its standard error and 95 % confidence interval."""

    estimate: float
    standard_error: float
    low: float
    high: float


@dataclass(frozen=True)
class Estimate:
    """What the answers say about the whole frame."""

    claims: Interval  # claims whose training was not genuine
    yuan: Interval  # verified yuan of those claims
    sampled: dict[str, int]
    reached: dict[str, int]
    not_genuine: dict[str, int]  # among the reached


def estimate(answers: list[Answer], frame: dict[str, tuple[int, float]] | None = None) -> Estimate:
    """Totals of not-genuine claims and yuan, with 95 % intervals; `frame` (claims, yuan per
    stratum), when known, caps the intervals."""
    if not answers:
        raise EstimateError("the filled sample has no rows")
    strata = sorted({a.stratum for a in answers})
    parts: dict[str, list[tuple[float, float, float]]] = {}  # stratum -> [(pi*, y, z)]
    for s in strata:
        rows = [a for a in answers if a.stratum == s]
        reached = [a for a in rows if a.reached]
        if not reached:
            raise EstimateError(
                f"no trainee of the {s} stratum was reached: nothing to estimate it from"
            )
        rate = len(reached) / len(rows)
        parts[s] = [
            (a.probability * rate, 0.0 if a.genuine else 1.0, 0.0 if a.genuine else a.amount)
            for a in reached
        ]
    found_claims = sum(y for rows in parts.values() for _p, y, _z in rows)
    found_yuan = sum(z for rows in parts.values() for _p, _y, z in rows)
    cap_claims = sum(c for c, _y in frame.values()) if frame else math.inf
    cap_yuan = sum(y for _c, y in frame.values()) if frame else math.inf
    return Estimate(
        claims=_interval([[(p, y) for p, y, _z in rows] for rows in parts.values()],
                         found_claims, cap_claims),
        yuan=_interval([[(p, z) for p, _y, z in rows] for rows in parts.values()],
                       found_yuan, cap_yuan),
        sampled={s: sum(1 for a in answers if a.stratum == s) for s in strata},
        reached={s: len(parts[s]) for s in strata},
        not_genuine={s: int(sum(y for _p, y, _z in parts[s])) for s in strata},
    )  # fmt: skip


def _interval(strata: list[list[tuple[float, float]]], found: float, cap: float) -> Interval:
    total = variance = 0.0
    for rows in strata:
        total += sum(v / p for p, v in rows)
        variance += deville_variance(rows)
    se = math.sqrt(variance)
    low = max(total - Z95 * se, found)
    high = min(total + Z95 * se, cap)
    return Interval(total, se, min(low, total), max(high, total))


def deville_variance(rows: list[tuple[float, float]]) -> float:
    """Hájek–Deville approximate variance of Σ v/π for a fixed-size design of high entropy:
    m/(m−1) Σ (1−π)(v/π − A)², A = Σ (1−π) v/π / Σ (1−π). Certain units add nothing; a single
    uncertain unit gives (1−π)(v/π)²."""
    m = len(rows)
    weights = [1 - p for p, _v in rows]
    if sum(weights) <= 0:
        return 0.0
    if m == 1:
        p, v = rows[0]
        return (1 - p) * (v / p) ** 2
    a = sum(w * v / p for w, (p, v) in zip(weights, rows, strict=True)) / sum(weights)
    return m / (m - 1) * sum(w * (v / p - a) ** 2 for w, (p, v) in zip(weights, rows, strict=True))


# --- reading the filled sample ---------------------------------------------------------------


def read_filled(path: Path) -> tuple[list[Answer], dict[str, tuple[int, float]] | None]:
    """The answers of a filled callback_sample.xlsx (or .csv), checked; the frame from its
    design sheet when there is one."""
    if not path.is_file():
        raise EstimateError(f"{path} does not exist")
    design: dict[str, Any] = {}
    if path.suffix.lower() == ".csv":
        # NOTE: strict, or a quote left open silently swallows every answer after it
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            records, line = [], 1
            try:
                for record in reader:
                    records.append(record)
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise EstimateError(
                    f"{path.name}, line {line}: not valid CSV from here to line "
                    f"{reader.line_num} ({exc}); the answers after it would be lost"
                ) from None
    elif path.suffix.lower() == ".xlsx":
        records, design = _read_xlsx(path)
    else:
        raise EstimateError(f"{path.name}: give the filled callback_sample.xlsx (or .csv)")
    if not records:
        raise EstimateError(f"{path.name}: empty")
    header = [str(h or "").strip() for h in records[0]]
    if missing := [c for c in REQUIRED if c not in header]:
        raise EstimateError(f"{path.name}: missing columns {', '.join(missing)}")
    at = {name: header.index(name) for name in REQUIRED}
    answers = []
    for line, record in enumerate(records[1:], start=2):
        if not any(str(v or "").strip() for v in record):
            continue
        cell = {n: str(record[i] if i < len(record) and record[i] is not None else "").strip()
                for n, i in at.items()}  # fmt: skip
        answers.append(_answer(cell, f"{path.name}, row {line}"))
    frame = None
    if design:
        frame = _check_design(design, answers, path.name)
    return answers, frame


def _answer(cell: dict[str, str], where: str) -> Answer:
    if cell["stratum"] not in (FLAGGED, RANDOM):
        raise EstimateError(f"{where}: stratum must be {FLAGGED} or {RANDOM}")
    try:
        probability = float(cell["inclusion_probability"])
        amount = float(cell["verified_amount"].lstrip("'") or 0)
    except ValueError:
        raise EstimateError(
            f"{where}: inclusion_probability and verified_amount must be numbers"
        ) from None
    if not 0 < probability <= 1:
        raise EstimateError(f"{where}: inclusion_probability must be in (0, 1]")
    reached = _yes_no(cell["reached"], "reached", where)
    if reached is None:
        raise EstimateError(f"{where}: reached is empty; answer yes or no")
    genuine = _yes_no(cell["trained_genuinely"], "trained_genuinely", where)
    if reached and genuine is None:
        raise EstimateError(f"{where}: trained_genuinely is empty for a trainee reached")
    return Answer(cell["stratum"], probability, amount, reached, genuine if reached else None)


def _yes_no(value: str, column: str, where: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise EstimateError(f"{where}: {column} must be yes or no (是/否), not {value!r}")


def _read_xlsx(path: Path) -> tuple[list[list[Any]], dict[str, Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # NOTE: openpyxl raises many kinds for a broken file
        raise EstimateError(f"{path.name}: not a readable xlsx file ({exc})") from exc
    try:
        if "sample" not in book.sheetnames:
            raise EstimateError(f"{path.name}: no sheet named sample")
        records = [list(r) for r in book["sample"].iter_rows(values_only=True)]
        design = {}
        if "design" in book.sheetnames:
            design = {
                str(r[0]): r[1] for r in book["design"].iter_rows(min_row=2, values_only=True) if r
            }
    finally:
        book.close()
    return records, design


def _check_design(
    design: dict[str, Any], answers: list[Answer], name: str
) -> dict[str, tuple[int, float]]:
    """Every drawn row must still be there: a deleted row would bias the estimate."""
    frame = {}
    for s in (FLAGGED, RANDOM):
        try:
            drawn = int(design[f"sample_{s}"])
            frame[s] = (int(design[f"frame_{s}"]), float(design[f"frame_yuan_{s}"]))
        except (KeyError, TypeError, ValueError):
            raise EstimateError(
                f"{name}: the design sheet is incomplete (sample_{s}, frame_{s})"
            ) from None
        rows = sum(1 for a in answers if a.stratum == s)
        if rows != drawn:
            raise EstimateError(
                f"{name}: {rows} rows of the {s} stratum, but {drawn} were drawn: "
                "every drawn trainee must stay in the sheet (mark the unreached reached = no)"
            )
    return frame
