"""Where a check-in was: Chinese map datums (GCJ-02, BD-09) to WGS-84, and distances in metres.

Chinese map apps report positions shifted by law: AMap and Tencent in GCJ-02, Baidu in BD-09,
several hundred metres from the WGS-84 position a GPS gives. A check-in and its training site
can only be compared once both are in WGS-84. The conversions are PRCoords' (public domain,
https://github.com/Artoria2e5/PRCoords): GCJ-02 and BD-09 are inverted iteratively to about a
metre (tests/test_coords.py holds them to published reference points), not by hand here.
"""

from __future__ import annotations

import warnings

import prcoords

SYSTEMS = ("wgs84", "gcj02", "bd09")  # the contract's coord_system values


def to_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """(lat, lon) in WGS-84 of a position given in `system` (wgs84 | gcj02 | bd09)."""
    if system == "wgs84":
        return float(lat), float(lon)
    point = prcoords.Coords(float(lat), float(lon))
    with warnings.catch_warnings():  # NOTE: outside China both datums are WGS-84; it warns so
        warnings.simplefilter("ignore")
        if system == "gcj02":
            wgs = prcoords.gcj_wgs_bored(point)
        elif system == "bd09":
            wgs = prcoords.bd_wgs_bored(point)
        else:
            raise ValueError(f"coordinate system {system!r} is not one of {', '.join(SYSTEMS)}")
    return float(wgs.lat), float(wgs.lon)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two WGS-84 (lat, lon) points (haversine, mean
    Earth radius 6,371 km)."""
    return float(prcoords.Coords(*a).distance(prcoords.Coords(*b)))


def checkin_distance_m(
    lat: float, lon: float, system: str, site_lat: float, site_lon: float, site_system: str
) -> float:
    """How far a check-in was from its site, in metres, both converted to WGS-84 first."""
    return distance_m(to_wgs84(lat, lon, system), to_wgs84(site_lat, site_lon, site_system))
