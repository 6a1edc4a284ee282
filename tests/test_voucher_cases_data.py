"""The geometry the voucher rule cases claim, checked with auditor.coords alone (no rules needed).

tests/rules/training-voucher/*.toml state distances in their notes (199.898 m inside a 200 m
radius, 200.100 m outside it, GCJ-02 and BD-09 numbers taken in the wrong datum, ...). Here each
stated distance is recomputed from the case's own rows, and for every voucher case (and the clean
world) "some check-in of an enrolment unit is beyond its site's radius" must agree with whether
the case expects CHECKIN_OFF_SITE, so a reviewer can trust the numbers before the rules exist.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal
from typing import Any

import prcoords
import pytest

from auditor.contract import load_contract
from auditor.coords import SYSTEMS, checkin_distance_m
from tests.exports import clean_world
from tests.rules.test_rule_cases import CASES, build_tables

POLICY = "shanghai-voucher-2021"
SITE = (31.2304, 121.4737)  # the clean world's site, WGS-84, radius 200 m
GCJ = (31.228458, 121.478223)  # its GCJ-02 numbers, 6 places
BD = (31.234311, 121.484781)  # its BD-09 numbers, 6 places
CHECKINS = load_contract("training-voucher").tables_by_name["checkins"]
VOUCHER_CASES = {name: case for _, name, case, policy in CASES if policy == POLICY}

# (case, check-in lat, lon, system, the distance the case's note states, decimals stated)
CLAIMS = [
    ("CHECKIN_OFF_SITE::gcj02_checkins_at_a_wgs84_site", *GCJ, "gcj02", 0.03, 2),
    ("CHECKIN_OFF_SITE::wgs84_just_inside", 31.23167, 121.475188, "wgs84", 199.898, 3),
    ("CHECKIN_OFF_SITE::wgs84_just_outside", 31.23167, 121.475191, "wgs84", 200.100, 3),
    ("CHECKIN_OFF_SITE::gcj02_numbers_taken_as_wgs84", *GCJ, "wgs84", 481.2, 1),
    ("CHECKIN_OFF_SITE::bd09_checkin_at_the_site", *BD, "bd09", 0.06, 2),
    ("CHECKIN_OFF_SITE::bd09_numbers_taken_as_wgs84", *BD, "wgs84", 1139.8, 1),
    ("CHECKIN_OFF_SITE::bd09_numbers_taken_as_gcj02", *BD, "gcj02", 904.0, 1),
    ("CHECKIN_OFF_SITE::bd09_site_gcj02_checkins", *GCJ, "gcj02", 0.04, 2),
    ("CHECKIN_OFF_SITE::gcj02_site_wgs84_checkins", *SITE, "wgs84", 0.03, 2),
    ("CHECKIN_OFF_SITE::a_wider_radius_takes_the_far_checkin_in", 31.23167, 121.475191, "wgs84",
     200.100, 3),
    ("CHECKIN_OFF_SITE::off_site_outside_any_meeting", 31.2754, 121.4737, "wgs84", 5003.8, 1),
    ("CHECKIN_OFF_SITE::far_checkin_of_someone_without_a_unit", 31.2754, 121.4737, "wgs84",
     5003.8, 1),
    ("CHECKIN_MISSING::off_site_checkin_is_still_a_checkin", 31.2754, 121.4737, "wgs84", 5003.8,
     1),
]  # fmt: skip


def _key(value: Any) -> str:
    """An ID as the contract reads it: trimmed and upper-cased."""
    return str(value).strip().upper()


def _readable(row: dict[str, Any]) -> bool:
    """Whether ingest keeps the check-in's position (a rejected row takes no part)."""
    lat, lon = CHECKINS.column("lat"), CHECKINS.column("lon")
    return (
        row.get("coord_system") in SYSTEMS
        and isinstance(row.get("lat"), int | float)
        and isinstance(row.get("lon"), int | float)
        and lat.minimum <= row["lat"] <= lat.maximum
        and lon.minimum <= row["lon"] <= lon.maximum
    )


def _distances(
    tables: dict[str, list[dict[str, Any]]], units_only: bool = True
) -> list[tuple[dict[str, Any], float, int]]:
    """(check-in, metres from its class's site, radius) for each readable check-in of a known
    class; with units_only, only those whose person has an enrolment or a payment in the class
    (an enrolment unit's check-ins)."""
    classes = {_key(c["class_id"]): c for c in tables.get("classes", [])}
    units = {
        (_key(r["class_id"]), _key(r["person_id"]))
        for table in ("enrolments", "payments")
        for r in tables.get(table, [])
    }
    found = []
    for row in tables.get("checkins", []):
        site = classes.get(_key(row["class_id"]))
        if site is None or not _readable(row):
            continue
        if units_only and (_key(row["class_id"]), _key(row["person_id"])) not in units:
            continue
        metres = checkin_distance_m(
            row["lat"], row["lon"], row["coord_system"],
            site["site_lat"], site["site_lon"], site["coord_system"],
        )  # fmt: skip
        found.append((row, metres, int(site["site_radius_m"])))
    return found


def _expects_off_site(name: str, case: dict[str, Any]) -> bool:
    rule = name.split("/")[-1].split("::")[0]
    return (rule == "CHECKIN_OFF_SITE" and case["fires"]) or "CHECKIN_OFF_SITE" in case.get(
        "also", []
    )


def test_the_clean_checkins_are_the_site_in_gcj02_and_on_site() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gcj = prcoords.wgs_gcj(prcoords.Coords(*SITE))
        bd = prcoords.wgs_bd(prcoords.Coords(*SITE))
    assert (round(gcj.lat, 6), round(gcj.lon, 6)) == GCJ
    assert (round(bd.lat, 6), round(bd.lon, 6)) == BD
    world = clean_world(POLICY)
    (site,) = world["classes"]
    assert (site["site_lat"], site["site_lon"], site["coord_system"]) == (*SITE, "wgs84")
    assert [(c["lat"], c["lon"], c["coord_system"]) for c in world["checkins"]] == [
        (*GCJ, "gcj02")
    ] * 2
    assert [m < 0.05 for _, m, _ in _distances(world)] == [True, True]


@pytest.mark.parametrize(
    ("case", "lat", "lon", "system", "stated", "places"), CLAIMS, ids=[c[0] for c in CLAIMS]
)
def test_the_distance_a_note_states(
    case: str, lat: float, lon: float, system: str, stated: float, places: int
) -> None:
    name = f"training-voucher/{case}"
    tables = build_tables(VOUCHER_CASES[name], POLICY)
    matching = [
        metres
        for row, metres, _ in _distances(tables, units_only=False)
        if (row["lat"], row["lon"], row["coord_system"]) == (lat, lon, system)
    ]
    assert matching, f"{case} has no check-in at ({lat}, {lon}, {system})"
    assert [round(m, places) for m in matching] == [stated] * len(matching)
    assert f"{stated:.{places}f} m" in VOUCHER_CASES[name]["note"].replace(",", "")


def test_the_radius_boundary_pair_straddles_200_m_by_a_tenth() -> None:
    inside = checkin_distance_m(31.23167, 121.475188, "wgs84", *SITE, "wgs84")
    outside = checkin_distance_m(31.23167, 121.475191, "wgs84", *SITE, "wgs84")
    assert 199.85 < inside < 199.95 and 200.05 < outside < 200.15
    # the haversine of auditor.coords.distance_m is the plain formula with R = 6,371 km
    lat1, lon1, lat2, lon2 = map(math.radians, (*SITE, 31.23167, 121.475191))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    assert 2 * 6_371_000 * math.asin(math.sqrt(a)) == pytest.approx(outside, abs=1e-6)


@pytest.mark.parametrize("name", sorted(VOUCHER_CASES))
def test_off_site_is_expected_exactly_when_a_unit_checked_in_beyond_the_radius(
    name: str,
) -> None:
    tables = build_tables(VOUCHER_CASES[name], POLICY)
    beyond = [(row, m, r) for row, m, r in _distances(tables) if m > r]
    assert bool(beyond) == _expects_off_site(name, VOUCHER_CASES[name]), beyond
    for row, _, _ in _distances(tables):  # within 6 places, as the contract keeps them
        for value in (row["lat"], row["lon"]):
            exponent = Decimal(str(value)).as_tuple().exponent
            assert isinstance(exponent, int) and exponent >= -6, value
