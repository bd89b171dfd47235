"""Combined views: variable choice by kind, common units, legend texts, unknown ids."""

from __future__ import annotations

import gsw
import numpy as np
import pytest
import xarray as xr

from portal.errors import DatasetNotFound
from portal.model import DatasetEntry, VariableInfo
from portal.overlay import PALETTE, Layer, choose_variables, harmonise, resolve_entries
from portal.query import Query


def entry(dataset_id: str, *variables: tuple[str, str, str]) -> DatasetEntry:
    return DatasetEntry(dataset_id, "netcdf", title=f"T {dataset_id}", institution="Inst",
                        variables=tuple(VariableInfo(n, standard_name=s, units=u)
                                        for n, s, u in variables))


def obs(variable: str, values, units: str, z, z_units: str, lat=45.0) -> xr.Dataset:
    n = len(values)
    return xr.Dataset({variable: ("obs", np.asarray(values, float), {"units": units})},
                      coords={"z": ("obs", np.asarray(z, float), {"units": z_units}),
                              "latitude": ("obs", np.full(n, lat)),
                              "longitude": ("obs", np.zeros(n))})


def test_variables_chosen_by_shared_kind_or_named():
    a = entry("a", ("PSAL", "sea_water_practical_salinity", "psu"),
              ("TEMP", "sea_water_temperature", "degC"))
    b = entry("b", ("sst", "sea_surface_temperature", "K"))
    c = entry("c", ("temperature", "sea_water_temperature", "degC"))
    assert choose_variables([a, b, c], Query()) == {"a": "TEMP", "b": "sst", "c": "temperature"}
    named = Query(variable="a:PSAL", datasets=("a", "b"))
    assert choose_variables([a, b], named)["a"] == "PSAL"


def test_harmonise_converts_kelvin_and_pressure_to_depth():
    argo = Layer("a", "Argo", data=obs("TEMP", [10.0, 5.0], "degC", [0.0, 1000.0], "dbar"),
                 variable="TEMP", units="degC", feature_type="profile")
    model = Layer("m", "Model", colour=PALETTE[1],
                  data=obs("thetao", [283.15, 278.15], "K", [0.0, 990.0], "m"),
                  variable="thetao", units="K", feature_type="profile")
    combined = harmonise([argo, model], "profile")
    assert combined.unit == "degC" and combined.z_unit == "dbar"
    converted = combined.layers[1].data
    np.testing.assert_allclose(converted["thetao"].values, [10.0, 5.0])
    np.testing.assert_allclose(converted.z.values, gsw.p_from_z([-0.0, -990.0], 45.0))
    np.testing.assert_array_equal(combined.layers[0].data.z.values, [0.0, 1000.0])


def test_units_of_different_kinds_keep_separate_axes_and_failures_keep_legend():
    t = Layer("a", "A", data=obs("TEMP", [10.0], "degC", [0.0], "m"), variable="TEMP",
              units="degC", feature_type="timeSeries")
    s = Layer("b", "B", data=obs("PSAL", [35.0], "PSS-78", [0.0], "m"), variable="PSAL",
              units="PSS-78", feature_type="timeSeries")
    down = Layer("c", "C", institution="Far away", error="cannot connect")
    combined = harmonise([t, s, down], "timeseries")
    assert combined.unit is None and [ly.id for ly in combined.drawn] == ["a", "b"]
    assert down.legend == "C (Far away) — not drawn: cannot connect"


def test_unknown_ids_named_together():
    catalog = {"a": entry("a")}
    with pytest.raises(DatasetNotFound, match="x, y"):
        resolve_entries(catalog, ("a", "x", "y"))
