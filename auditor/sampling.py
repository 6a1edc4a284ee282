"""`auditor sample`: the call-back sample, drawn so that its answers speak for every claim.

Two strata (docs/sampling.md gives the method to cite):

- `flagged`: claims with at least one authenticity signal (table `claim_flags`). Drawn with
  probability proportional to size, size = 100 + the enterprise's risk score in hundredths of a
  point (so every flagged claim has a chance), by ordered systematic sampling over the claims
  sorted by enterprise risk rank: an implicit stratification by enterprise, each enterprise
  receiving its share of the sample to within one claim. Claims whose probability would exceed
  1 are taken with certainty and the rest re-drawn among the others.
- `random`: payable claims no signal flagged, a simple random sample without replacement.

All randomness comes from one numpy PCG64 bit generator seeded with `--seed`, read through
`random_raw()` (whose stream numpy keeps stable across versions) and turned into integers in
Python, so that the same OUT, size and seed give the same sample, byte for byte. Inclusion
probabilities are exact rationals until they are written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import tomllib
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from .contract import programme_of_manifest
from .errors import AuditorError, SampleError
from .privacy import mask
from .resources import checks_dir

DB_NAME = "audit.duckdb"  # NOTE: the pipeline's name; the pipeline sits in the layer above
FLAGGED, RANDOM = "flagged", "random"
ANSWER_COLUMNS = ("reached", "trained_genuinely", "note")
SAMPLE_COLUMNS = (
    "sample_no", "stratum", "inclusion_probability", "enterprise_rank", "enterprise_id",
    "enterprise_name", "name", "person_id_masked", "person_id", "phone", "project_id",
    "project_title", "first_day", "last_day", "imported_at", "verified_amount", "payable",
    "signals", "questions", *ANSWER_COLUMNS,
)  # fmt: skip
TEXT_COLUMNS = {
    "enterprise_id", "enterprise_name", "name", "person_id", "phone", "project_id",
    "project_title", "signals", "questions",
}  # fmt: skip
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries' timestamp: the xlsx does not depend on the clock


@dataclass(frozen=True)
class Unit:
    """One claim of the sampling frame."""

    enterprise_id: str | None
    project_id: str
    person_id: str
    flagged: bool
    rank: int | None  # the enterprise's risk rank (None: the claim has no known enterprise)
    size: int  # measure of size for the flagged stratum: 100 + score in hundredths of a point
    verified_amount: float


@dataclass(frozen=True)
class Draw:
    """A sampled claim: its stratum and its exact inclusion probability."""

    unit: Unit
    stratum: str
    probability: Fraction


@dataclass(frozen=True)
class Design:
    """What was drawn from what: written beside the sample so the estimate can check it."""

    seed: int
    size: int
    frame: dict[str, int]  # claims in each stratum
    frame_yuan: dict[str, float]  # verified yuan in each stratum
    sample: dict[str, int]  # claims drawn from each stratum
    certain: int  # flagged claims taken with certainty


def settings() -> dict[str, Any]:
    """checks/sampling.toml: the default unflagged share and the questions asked of everyone."""
    return tomllib.loads((checks_dir() / "sampling.toml").read_text(encoding="utf-8"))


# --- the design: pure functions over the frame ---------------------------------------------


class Stream:
    """Unsigned 64-bit integers from numpy's PCG64 for `seed` (a stable stream)."""

    def __init__(self, seed: int) -> None:
        self._bits = np.random.PCG64(seed)

    def raw(self, count: int) -> list[int]:
        """`count` 64-bit integers."""
        return [int(v) for v in self._bits.random_raw(count)] if count else []

    def below(self, bound: int) -> int:
        """An integer uniform in [0, bound): 128 random bits modulo bound (bias < 2^-64)."""
        high, low = self.raw(2)
        return ((high << 64) | low) % bound


def _rank_key(unit: Unit) -> tuple[bool, int, str]:
    """Enterprises in risk order; claims of no known enterprise last."""
    return (unit.rank is None, unit.rank or 0, unit.enterprise_id or "")


def allocate(size: int, flagged: int, random: int, unflagged_share: float) -> tuple[int, int]:
    """Claims to draw from each stratum: a share of `size` (rounded half up) from the random
    stratum, the rest from the flagged one; a stratum too small passes its surplus over."""
    if size < 1:
        raise SampleError(f"--size must be at least 1 (got {size})")
    if size > flagged + random:
        raise SampleError(
            f"--size {size} is larger than the population: {flagged} flagged claims and "
            f"{random} unflagged payable claims"
        )
    if not 0 <= unflagged_share <= 1:
        raise SampleError(f"the unflagged share must be between 0 and 1 (got {unflagged_share})")
    n_random = min(int(Fraction(size) * Fraction(unflagged_share) + Fraction(1, 2)), random)
    n_flagged = min(size - n_random, flagged)
    return n_flagged, size - n_flagged


def pps_probabilities(sizes: list[int], n: int) -> list[Fraction]:
    """Inclusion probabilities n·x/X, capped at 1: a unit that would exceed 1 is certain and
    the others share what is left of n (repeated until none exceeds 1)."""
    probs: list[Fraction | None] = [None] * len(sizes)
    left, rest = n, [i for i in range(len(sizes))]
    while left and rest:
        total = sum(sizes[i] for i in rest)
        certain = [i for i in rest if left * sizes[i] >= total]
        if not certain:
            for i in rest:
                probs[i] = Fraction(left * sizes[i], total)
            break
        for i in certain:
            probs[i] = Fraction(1)
        left -= len(certain)
        rest = [i for i in rest if probs[i] is None]
    return [p if p is not None else Fraction(0) for p in probs]


def systematic(probs: list[Fraction], n: int, stream: Stream) -> list[int]:
    """Ordered systematic sampling: unit i holds [C(i-1), C(i)) on a line of length n, C the
    cumulative probabilities; one random start r in [0, 1) selects the units holding r, r+1, …,
    r+n-1. Unit i is drawn with probability probs[i] exactly (all ≤ 1); integers throughout."""
    if n == 0:
        return []
    denominator = math.lcm(*(p.denominator for p in probs))
    start = stream.below(denominator)  # r = start / denominator: the line is scaled by it

    def points_below(x: int) -> int:  # how many of start + k·denominator (k ≥ 0) are < x
        return max(0, -((start - x) // denominator))

    chosen, low = [], 0
    for i, p in enumerate(probs):
        high = low + p.numerator * (denominator // p.denominator)
        if points_below(high) > points_below(low):
            chosen.append(i)
        low = high
    if len(chosen) != n:  # cannot happen: the probabilities sum to n
        raise AssertionError(f"systematic sampling drew {len(chosen)} of {n}")
    return chosen


def draw(
    frame: list[Unit], size: int, seed: int, unflagged_share: float
) -> tuple[list[Draw], Design]:
    """The sample: flagged claims by systematic πps within enterprise order, unflagged ones by
    simple random sampling. `frame` must be in a fixed order (see `load_frame`)."""
    flagged = [u for u in frame if u.flagged]
    unflagged = [u for u in frame if not u.flagged]
    n_flagged, n_random = allocate(size, len(flagged), len(unflagged), unflagged_share)
    stream = Stream(seed)
    # Flagged: enterprises in risk order, claims in random order inside each enterprise.
    keys = stream.raw(len(flagged))
    order = sorted(
        range(len(flagged)),
        key=lambda i: (*_rank_key(flagged[i]), keys[i]),
    )
    ordered = [flagged[i] for i in order]
    probs = pps_probabilities([u.size for u in ordered], n_flagged)
    certain = sum(1 for p in probs if p == 1)
    # NOTE: certain units sit inside the line too (length 1: exactly one point each)
    picked = [Draw(ordered[i], FLAGGED, probs[i]) for i in systematic(probs, n_flagged, stream)]
    # Random: the n_random unflagged claims with the smallest random keys (ties: frame order).
    keys = stream.raw(len(unflagged))
    order = sorted(range(len(unflagged)), key=lambda i: (keys[i], i))[:n_random]
    p_random = Fraction(n_random, len(unflagged)) if unflagged else Fraction(0)
    picked += [Draw(unflagged[i], RANDOM, p_random) for i in sorted(order)]
    design = Design(
        seed=seed,
        size=size,
        frame={FLAGGED: len(flagged), RANDOM: len(unflagged)},
        frame_yuan={
            FLAGGED: round(sum(u.verified_amount for u in flagged), 2),
            RANDOM: round(sum(u.verified_amount for u in unflagged), 2),
        },
        sample={FLAGGED: n_flagged, RANDOM: n_random},
        certain=certain,
    )
    return picked, design


# --- the audit: frame in, sample files out -------------------------------------------------

FRAME_SQL = """
SELECT s.enterprise_id, s.project_id, s.person_id, c.project_id IS NOT NULL AS flagged,
       r.rank,
       100 + CAST(round(greatest(coalesce(r.score, 0), 0) * 100) AS BIGINT) AS size,
       CAST(coalesce(s.verified_amount, 0) AS DOUBLE) AS verified_amount
FROM subsidy s
LEFT JOIN claim_flags c ON c.project_id = s.project_id AND c.person_id = s.person_id
LEFT JOIN risk r ON r.enterprise_id = s.enterprise_id
WHERE s.project_id IS NOT NULL AND s.person_id IS NOT NULL
  AND (c.project_id IS NOT NULL OR s.payable)
ORDER BY s.enterprise_id NULLS LAST, s.project_id, s.person_id
"""

DETAILS_SQL = """
WITH picked AS (
    SELECT unnest($projects) AS project_id, unnest($persons) AS person_id, unnest($nos) AS no
)
SELECT p.no, s.enterprise_id, coalesce(e.name, ''), coalesce(t.name, ''), p.person_id,
       coalesce(t.phone, ''), p.project_id, coalesce(pr.title, ''),
       coalesce(CAST(CAST(cf.first_activity_at AS DATE) AS VARCHAR), ''),
       coalesce(CAST(CAST(cf.last_activity_at AS DATE) AS VARCHAR), ''),
       coalesce(strftime(cf.imported_at, '%Y-%m-%d %H:%M:%S'), ''),
       CAST(s.verified_amount AS VARCHAR), s.payable,
       coalesce(array_to_string(fl.signals, ','), ''),
       coalesce(fl.signals, [])
FROM picked p
JOIN subsidy s ON s.project_id = p.project_id AND s.person_id = p.person_id
LEFT JOIN claim_flags fl ON fl.project_id = p.project_id AND fl.person_id = p.person_id
LEFT JOIN claim_facts cf ON cf.project_id = p.project_id AND cf.person_id = p.person_id
LEFT JOIN (SELECT enterprise_id, min(name) AS name FROM enterprises GROUP BY enterprise_id) e
    ON e.enterprise_id = s.enterprise_id
LEFT JOIN (SELECT enterprise_id, person_id, min(name) AS name, min(phone) AS phone
           FROM trainees GROUP BY enterprise_id, person_id) t
    ON t.enterprise_id = s.enterprise_id AND t.person_id = p.person_id
LEFT JOIN (SELECT project_id, min(title) AS title FROM projects GROUP BY project_id) pr
    ON pr.project_id = p.project_id
ORDER BY p.no
"""

NEEDED_TABLES = ("subsidy", "claim_flags", "risk", "rule_catalogue", "claim_facts", "trainees")


def open_audit(out: Path) -> duckdb.DuckDBPyConnection:
    """OUT's audit.duckdb, read-only, after checking OUT is a complete, unredacted audit."""
    if not (out / "manifest.json").is_file():
        raise SampleError(f"{out} is not an audit's output (no manifest.json)")
    try:
        contract = programme_of_manifest(json.loads((out / "manifest.json").read_text("utf-8")))
    except (ValueError, AuditorError) as exc:
        raise SampleError(f"{out / 'manifest.json'} cannot be read: {exc}") from exc
    if "risk" not in contract.extras:
        raise SampleError(
            f"{out} is an audit of the {contract.programme} programme, which has no risk "
            "ranking: the call-back sample draws by enterprise risk (online-subsidy audits)"
        )
    if not (out / DB_NAME).is_file():
        raise SampleError(
            f"{out} has no {DB_NAME}: a redacted audit keeps no names, phones or whole IDs, so "
            "it cannot give a call-back sample; sample an unredacted audit"
        )
    try:
        con = duckdb.connect(str(out / DB_NAME), read_only=True)
    except duckdb.Error as exc:
        raise SampleError(f"{out / DB_NAME} cannot be opened: {exc}") from exc
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if missing := [t for t in NEEDED_TABLES if t not in present]:
        con.close()
        raise SampleError(
            f"{out / DB_NAME} lacks {', '.join(missing)}: the audit predates the risk ranking; "
            "run it again"
        )
    return con


def load_frame(con: duckdb.DuckDBPyConnection) -> list[Unit]:
    """Claims that may be sampled: every flagged claim and every unflagged payable one."""
    return [Unit(*row) for row in con.execute(FRAME_SQL).fetchall()]


def questions_for(signals: list[str], catalogue: dict[str, list[str]], general: list[str]) -> str:
    """The questions to ask, numbered: everyone's first, then each signal's (no repeats)."""
    lines, seen, n = [], set(), 0
    for label, items in [("", general), *((s, catalogue.get(s, [])) for s in signals)]:
        for q in items:
            if q in seen:
                continue
            seen.add(q)
            n += 1
            lines.append(f"{n}. {'【' + label + '】' if label else ''}{q}")
    return "\n".join(lines)


def write_sample(
    out: Path, size: int, seed: int, unflagged_share: float | None = None
) -> tuple[Path, Design]:
    """Draw the sample from the audit in OUT and write OUT/sample/callback_sample.{csv,xlsx}."""
    config = settings()
    share = config["unflagged_share"] if unflagged_share is None else unflagged_share
    con = open_audit(out)
    try:
        try:
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SampleError(f"{out / 'manifest.json'} cannot be read: {exc}") from exc
        frame = load_frame(con)
        picked, design = draw(frame, size, seed, share)
        picked.sort(key=lambda d: (d.stratum != FLAGGED, *_rank_key(d.unit), d.unit.project_id,
                                   d.unit.person_id))  # fmt: skip
        catalogue = {
            r[0]: list(r[1] or [])
            for r in con.execute(
                "SELECT rule_id, questions FROM rule_catalogue WHERE category = 'authenticity'"
            ).fetchall()
        }
        details = con.execute(
            DETAILS_SQL,
            {
                "projects": [d.unit.project_id for d in picked],
                "persons": [d.unit.person_id for d in picked],
                "nos": list(range(1, len(picked) + 1)),
            },
        ).fetchall()
    finally:
        con.close()
    rows = []
    for d, row in zip(picked, details, strict=True):
        no, ent, ent_name, name, person, phone, project, title, first, last, imported = row[:11]
        verified, payable, signals, signal_list = row[11:]
        rows.append(
            [no, d.stratum, _probability(d.probability), d.unit.rank or "", ent or "", ent_name,
             name, mask(person, 6, 4), person, phone, project, title, first, last, imported,
             verified, "yes" if payable else "no", signals,
             questions_for(list(signal_list), catalogue, config["questions"]), "", "", ""]
        )  # fmt: skip
    folder = out / "sample"
    folder.mkdir(exist_ok=True)
    csv_path = folder / "callback_sample.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SAMPLE_COLUMNS)
        writer.writerows([_safe_row(r) for r in rows])
    as_of = str(manifest.get("engine", {}).get("as_of", ""))
    _write_xlsx(folder / "callback_sample.xlsx", rows, _design_rows(design, share, manifest), as_of)
    return csv_path, design


def _probability(p: Fraction) -> str:
    """An inclusion probability as written: 1, or 15 significant digits."""
    return "1" if p == 1 else f"{float(p):.15g}"


def _safe_row(row: list[Any]) -> list[Any]:
    """NOTE: formula injection: a text cell starting = + - @ is prefixed with an apostrophe."""
    return [
        "'" + v if SAMPLE_COLUMNS[i] in TEXT_COLUMNS and isinstance(v, str) and v[:1] in "=+-@"
        and v else v
        for i, v in enumerate(row)
    ]  # fmt: skip


def _design_rows(design: Design, share: float, manifest: dict[str, Any]) -> list[list[Any]]:
    policy = manifest.get("policy", {})
    return [
        ["key", "value"],
        ["method", "docs/sampling.md: stratified; flagged claims by ordered systematic πps "
                   "(size 1 + enterprise risk score), unflagged payable claims by SRSWOR"],
        ["seed", design.seed],
        ["size", design.size],
        ["unflagged_share", share],
        ["frame_flagged", design.frame[FLAGGED]],
        ["frame_random", design.frame[RANDOM]],
        ["frame_yuan_flagged", design.frame_yuan[FLAGGED]],
        ["frame_yuan_random", design.frame_yuan[RANDOM]],
        ["sample_flagged", design.sample[FLAGGED]],
        ["sample_random", design.sample[RANDOM]],
        ["certain_flagged", design.certain],
        ["policy", policy.get("id", "")],
        ["as_of", manifest.get("engine", {}).get("as_of", "")],
        ["auditor_version", manifest.get("tool", {}).get("version", "")],
    ]  # fmt: skip


def _write_xlsx(path: Path, rows: list[list[Any]], design: list[list[Any]], as_of: str) -> None:
    """The sample sheet and the design sheet, byte-identical for the same rows: the document's
    times are the audit date and every zip entry carries the same fixed timestamp."""
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("sample")
    sheet.append(list(SAMPLE_COLUMNS))
    numbers = {SAMPLE_COLUMNS.index(c) for c in ("inclusion_probability", "verified_amount")}
    for row in rows:
        sheet.append(
            [float(v) if i in numbers else _xlsx_text(v) for i, v in enumerate(_safe_row(row))]
        )
    info = book.create_sheet("design")
    for row in design:
        info.append(row)
    try:
        stamp = dt.datetime.fromisoformat(as_of)
    except ValueError:
        stamp = dt.datetime(2000, 1, 1)
    book.properties.created = book.properties.modified = stamp
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = ExcelWriter(book, archive)
        writer.write_data()  # NOTE: what save_workbook does, without stamping `modified` now
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            fixed = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(item.filename))


def _xlsx_text(value: object) -> object:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value
