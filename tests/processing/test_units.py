"""Units of combined views: kinds, common unit, conversions (TEOS-10 through gsw)."""

from __future__ import annotations

import gsw
import numpy as np
import pytest

from portal.processing.units import common_unit, convert, quantity, same_unit


@pytest.mark.parametrize("text,kind", [("degree_Celsius", ("temperature", "degC")),
                                       ("°C", ("temperature", "degC")),
                                       ("K", ("temperature", "K")),
                                       ("PSS-78", ("salinity", "psu")),
                                       ("1e-3", ("salinity", "psu")),
                                       ("dbar", ("vertical", "dbar")),
                                       ("meters", ("vertical", "m")),
                                       ("celsius degree", ("temperature", "degC")),
                                       ("Deg.C", ("temperature", "degC")),
                                       ("cm", None), ("", None),
                                       ("mg/l", None)])
def test_quantity(text, kind):
    assert quantity(text) == kind


def test_common_unit_agrees_in_kind_or_not():
    assert common_unit(["K", "degree_Celsius"]) == "degC"
    assert common_unit(["celsius degree", "degree_Celsius"]) == "degC"  # tide gauge + store
    assert common_unit(["psu", "PSS-78", "1e-3"]) == "psu"
    assert common_unit(["dbar", "m"]) == "dbar"
    assert common_unit(["degC", "psu"]) is None  # separate axes
    assert common_unit(["mg/l", "mg/l"]) == "mg/l"
    assert same_unit("PSS-78", "psu") and not same_unit("K", "degC")


def test_temperature_and_salinity():
    np.testing.assert_allclose(convert([273.15, 300.0], "K", "degC"), [0.0, 26.85])
    np.testing.assert_allclose(convert([12.5], "degC", "kelvin"), [285.65])
    np.testing.assert_array_equal(convert([35.1], "PSS-78", "psu"), [35.1])
    with pytest.raises(ValueError):
        convert([1.0], "degC", "dbar")


def test_depth_and_pressure_through_teos10():
    lat = np.array([45.0, 10.0])
    depth = convert([1000.0, 2000.0], "dbar", "m", latitude=lat)
    np.testing.assert_allclose(depth, -gsw.z_from_p([1000.0, 2000.0], lat))
    assert 985 < depth[0] < 995  # ~990 m at 1000 dbar at mid-latitudes
    np.testing.assert_allclose(convert(depth, "m", "dbar", latitude=lat), [1000.0, 2000.0],
                               rtol=1e-9)
    with pytest.raises(ValueError, match="latitude"):
        convert([10.0], "m", "dbar")


@pytest.mark.parametrize("units", ["psu", "PSU", "p.s.u.", "PSS-78", "pss78", "1", "1e-3",
                                   "0.001", "dimensionless", "", "PSU (PSS-78)"])
def test_practical_salinity_spellings(units):
    from portal.processing.units import salinity_scale

    assert salinity_scale(units, "sea_water_practical_salinity", "PSAL") == "practical"


def test_salinity_scale_absolute_and_refused():
    from portal.processing.units import salinity_scale

    assert salinity_scale("g/kg", "sea_water_absolute_salinity", "SA") == "absolute"
    assert salinity_scale("g kg-1", "", "absolute salinity") == "absolute"
    assert salinity_scale("g/kg", "", "salinity") == "practical"  # pre-TEOS-10 files
    assert salinity_scale("mg/l", "", "salinity") is None
    assert quantity("p.s.u.") == ("salinity", "psu")
    assert quantity("dimensionless") is None  # not a salinity by itself (overlay axes)


@pytest.mark.parametrize("units,unit", [("degree_Celsius", "degC"), ("celsius degree", "degC"),
                                        ("degrees celsius", "degC"), ("Deg.C", "degC"),
                                        ("deg C (ITS-90)", "degC"), ("C", "degC"),
                                        ("", "degC"), ("kelvin", "K"), ("degF", None),
                                        ("mg/l", None)])
def test_temperature_unit(units, unit):
    from portal.processing.units import temperature_unit

    assert temperature_unit(units) == unit
