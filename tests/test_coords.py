"""Map datums to WGS-84, held to published reference points, and distances in metres."""

from __future__ import annotations

import pytest

from auditor.coords import checkin_distance_m, distance_m, to_wgs84

# Published pairs of one place in several datums:
# - Beijing railway station, WGS-84 (39.90105, 116.42079) = GCJ-02 (39.90245, 116.42703): the
#   example of R's geoChina (caijun/geoChina, gcj2wgs and wgs2gcj documentation);
# - AMap's coordinate-convert web service example, WGS-84 (39.990475, 116.481499) = GCJ-02
#   (39.991754, 116.487586) = BD-09 (39.997716, 116.49412), as quoted by MapCoords' docs.
# The published figures have 5-6 decimals (about a metre), so 2 m is the tolerance.
REFERENCE = [
    ("beijing-station gcj02", (39.90245, 116.42703), "gcj02", (39.90105, 116.42079)),
    ("amap gcj02", (39.991754, 116.487586), "gcj02", (39.990475, 116.481499)),
    ("amap bd09", (39.997716, 116.49412), "bd09", (39.990475, 116.481499)),
]


@pytest.mark.parametrize(
    ("given", "system", "wgs84"), [r[1:] for r in REFERENCE], ids=[r[0] for r in REFERENCE]
)
def test_published_reference_points_convert_to_within_two_metres(
    given: tuple[float, float], system: str, wgs84: tuple[float, float]
) -> None:
    assert distance_m(given, wgs84) > 500  # unconverted, they are far apart
    assert distance_m(to_wgs84(*given, system), wgs84) < 2


def test_wgs84_is_taken_as_it_is() -> None:
    assert to_wgs84(31.2304, 121.4737, "wgs84") == (31.2304, 121.4737)


def test_a_gcj02_checkin_at_the_very_spot_of_a_wgs84_site_is_on_site() -> None:
    # Beijing railway station as a site given in WGS-84, and a phone on AMap checking in on it.
    site, checkin = (39.90105, 116.42079), (39.90245, 116.42703)
    assert distance_m(checkin, site) > 500  # off any plausible radius unless converted
    assert checkin_distance_m(*checkin, "gcj02", *site, "wgs84") < 2


def test_a_bd09_site_and_a_gcj02_checkin_meet_in_wgs84() -> None:
    wgs = (39.990475, 116.481499)
    assert checkin_distance_m(39.991754, 116.487586, "gcj02", 39.997716, 116.49412, "bd09") < 2
    assert distance_m(to_wgs84(39.997716, 116.49412, "bd09"), wgs) < 2


def test_one_degree_of_latitude_is_the_great_circle_length() -> None:
    assert distance_m((30.0, 121.0), (31.0, 121.0)) == pytest.approx(111_194.93, abs=0.01)
    assert distance_m((31.0, 121.0), (31.0, 121.0)) == 0


@pytest.mark.parametrize("system", ["WGS84", "gps", ""])
def test_an_unknown_system_is_an_error(system: str) -> None:
    with pytest.raises(ValueError, match="is not one of wgs84, gcj02, bd09"):
        to_wgs84(31.2, 121.4, system)
