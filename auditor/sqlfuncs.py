"""DuckDB functions backed by python-stdnum: the only engine-specific Python the facts call.

`ric_valid` judges a resident ID (GB 11643) by length, digits, check digit and a real birth date
only. stdnum's own `ric.validate` also demands that the birth-place code existed in the birth
year, which rejects real people (codes from later re-zoning, HK/Macau/Taiwan residence permits
810000/820000/830000, foreigners' permanent-residence numbers starting with 9), so the region is
reported separately by `ric_region_known`, and only as information.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable

import duckdb
import pyarrow as pa
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from .coords import SYSTEMS, checkin_distance_m

EARLIEST_BIRTH_YEAR = 1900


COMPACT_RIC = re.compile(r"[0-9]{17}[0-9X]")


def is_valid_ric(number: str | None, today: dt.date | None = None) -> bool:
    """Check digit and birth date of an 18-character resident ID; the region is not judged."""
    if number is None:
        return False
    if not COMPACT_RIC.fullmatch(number):
        return _is_valid_ric_by_stdnum(number, today)
    # already compact: stdnum's clean() would change nothing, and costs 9 of every 10 microseconds
    if number[17] != ric.calc_check_digit(number):
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born.year >= EARLIEST_BIRTH_YEAR and born <= (today or dt.date.today())


def _is_valid_ric_by_stdnum(number: str, today: dt.date | None = None) -> bool:
    """is_valid_ric through stdnum alone: compact() first (spaces, a lower-case x)."""
    number = ric.compact(number)
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        if number[17] != ric.calc_check_digit(number):
            return False
        born = ric.get_birth_date(number)
    except ValidationError:
        return False
    return born.year >= EARLIEST_BIRTH_YEAR and born <= (today or dt.date.today())


def is_known_ric_region(number: str | None) -> bool:
    """Whether stdnum knows the birth-place code for the birth year (information only)."""
    if number is None:
        return False
    try:
        ric.get_birth_place(number)
    except (ValidationError, ValueError, KeyError):
        return False
    return True


def is_valid_uscc(code: str | None) -> bool:
    """Unified Social Credit Code check character (GB 32100)."""
    return code is not None and uscc.is_valid(code)


def vectorised(fn: Callable[[str | None], bool]) -> Callable[[pa.Array], pa.Array]:
    """`fn` over an Arrow column: the form both engines (DuckDB, Spark) register."""

    def run(values: pa.Array) -> pa.Array:
        return pa.array([fn(v) for v in values.to_pylist()], type=pa.bool_())

    return run


def pseudonym(value: str | None, key: bytes) -> str | None:
    """A keyed pseudonym (HMAC-SHA256): stable across runs with one key, useless without it."""
    if value is None:
        return None
    return "ID-" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def register_pseudonym(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Make `pseudonym(text)` callable from SQL, keyed for this run."""

    def run(values: pa.Array) -> pa.Array:
        return pa.array([pseudonym(v, key) for v in values.to_pylist()], type=pa.string())

    con.create_function(  # type: ignore[call-overload]
        "pseudonym",
        run,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        null_handling="special",
        side_effects=False,
    )


def checkin_distances(
    lats: pa.Array,
    lons: pa.Array,
    systems: pa.Array,
    site_lats: pa.Array,
    site_lons: pa.Array,
    site_systems: pa.Array,
) -> pa.Array:
    """checkin_distance_m over Arrow columns; NULL where a value is missing or a datum unknown."""
    columns = (lats, lons, systems, site_lats, site_lons, site_systems)
    out: list[float | None] = []
    for lat, lon, system, site_lat, site_lon, site_system in zip(
        *(c.to_pylist() for c in columns), strict=True
    ):
        known = system in SYSTEMS and site_system in SYSTEMS
        if not known or None in (lat, lon, site_lat, site_lon):
            out.append(None)
            continue
        out.append(checkin_distance_m(lat, lon, system, site_lat, site_lon, site_system))
    return pa.array(out, type=pa.float64())


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make ric_valid, ric_region_known, uscc_valid and checkin_distance_m(lat, lon, datum,
    site_lat, site_lon, site_datum) callable from the fact SQL."""
    double, text = duckdb.sqltype("DOUBLE"), duckdb.sqltype("VARCHAR")
    con.create_function(  # type: ignore[call-overload]
        "checkin_distance_m",
        checkin_distances,
        [double, double, text, double, double, text],
        double,
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
    for name, fn in (
        ("ric_valid", is_valid_ric),
        ("ric_region_known", is_known_ric_region),
        ("uscc_valid", is_valid_uscc),
    ):
        con.create_function(  # type: ignore[call-overload]
            name,
            vectorised(fn),
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("BOOLEAN"),
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
