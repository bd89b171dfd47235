"""TEOS-10 chain of the T-S diagram: absolute salinity, conservative temperature and σ₀
against the check values of the TEOS-10 ``gsw`` toolbox (``gsw_cv_v3_0``), units (K, °C,
PSU) and the chain on a real Argo file of ``../shared/data/argo``."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.processing.teos10 import celsius, practical_salinity, teos10, ts_columns

# (SP, t [°C], p [dbar], lon, lat) -> (SA, CT, sigma0): rows of gsw_cv_v3_0.npz
# (SP_chck_cast ... with SA_from_SP, CT_from_t, sigma0), the TEOS-10 check values
CHECK = [
    (34.306287392599714, 27.962, 0.0, 142.0, 11.0,
     34.468236430490606, 27.996436412058213, 21.886304450544685),
    (34.821654999994536, 18.178, 176.0, 142.0, 11.0,
     34.98687812873595, 18.143912352561333, 25.1037473219601),
    (34.65227899985398, 1.7713000000000008, 2534.0, 142.0, 11.0,
     34.83227655059663, 1.5920152151251625, 27.738088154562774),
    (34.542273999998436, 12.969, 176.0, 183.0, 9.5,
     34.70695873677483, 12.944287861913926, 26.05398397066847),
    (6.568259000000002, 10.045999999999998, 0.0, 20.0, 59.0,
     6.669904340924573, 10.502767735302228, 4.881790157870228),
]


def _obs(temp, units="degree_Celsius", z_units="dbar", rows=CHECK):
    sp, _, p, lon, lat = (np.array([r[i] for r in rows]) for i in range(5))
    return xr.Dataset(
        {"TEMP": ("obs", np.asarray(temp), {"units": units,
                                            "standard_name": "sea_water_temperature"}),
         "PSAL": ("obs", sp, {"units": "psu", "standard_name": "sea_water_salinity"})},
        coords={"z": ("obs", p, {"units": z_units}), "longitude": ("obs", lon),
                "latitude": ("obs", lat)})


def test_sa_ct_and_sigma0_equal_the_teos10_check_values():
    obs = _obs([r[1] for r in CHECK])
    out = teos10(obs, ts_columns(obs))
    for name, col in (("SA", 5), ("CT", 6), ("sigma0", 7)):
        np.testing.assert_allclose(out[name].values, [r[col] for r in CHECK], rtol=0,
                                   atol=1e-8, err_msg=name)


def test_kelvin_is_converted_before_the_chain():
    obs = _obs([r[1] + 273.15 for r in CHECK], units="K")
    out = teos10(obs, ts_columns(obs))
    np.testing.assert_allclose(out.CT.values, [r[6] for r in CHECK], atol=1e-8)


def test_depth_in_metres_becomes_pressure():
    """2534 dbar at 11°N is about 2511 m: given as depth, the same σ₀ within 1e-4."""
    import gsw

    depth = -gsw.z_from_p(np.array([r[2] for r in CHECK]), np.array([r[4] for r in CHECK]))
    obs = _obs([r[1] for r in CHECK]).assign_coords(z=("obs", depth, {"units": "m"}))
    out = teos10(obs, ts_columns(obs))
    np.testing.assert_allclose(out.sigma0.values, [r[7] for r in CHECK], atol=1e-4)
    assert 2490 < depth[2] < 2530


def test_units_and_columns_are_checked():
    assert celsius(np.array([273.15]), "kelvin")[0] == pytest.approx(0.0)
    assert practical_salinity(np.array([35.0]), "PSS-78")[0] == 35.0
    with pytest.raises(UnsupportedQuicklook, match="degF"):
        celsius(np.array([50.0]), "degF")
    with pytest.raises(UnsupportedQuicklook, match="g/kg"):
        practical_salinity(np.array([35.0]), "g/kg")
    obs = _obs([r[1] for r in CHECK]).drop_vars("PSAL")
    with pytest.raises(UnsupportedQuicklook, match="no salinity") as err:
        ts_columns(obs, "some_dataset")
    assert err.value.dataset == "some_dataset"


def test_chain_on_a_real_argo_file(shared):
    """6901744_prof.nc: SA exceeds SP by the Atlantic's ~0.16-0.18 g/kg; near the surface
    CT is within 0.1 °C of t; deep water is denser than surface water."""
    from portal.processing.normalize import to_observations

    raw = xr.open_dataset(shared / "argo" / "multiprofile" / "6901744_prof.nc")
    obs = to_observations(raw, "PSAL")
    cols = ts_columns(obs)
    assert (cols.temperature, cols.salinity) == ("TEMP", "PSAL")
    out = teos10(obs, cols)
    ok = np.isfinite(out.SA.values) & np.isfinite(out.CT.values)
    assert ok.sum() > 100
    sp, t, z = obs.PSAL.values[ok], obs.TEMP.values[ok], obs.z.values[ok]
    excess = out.SA.values[ok] - sp
    assert 0.12 < np.median(excess) < 0.22
    shallow = z < 20
    assert np.abs(out.CT.values[ok][shallow] - t[shallow]).max() < 0.1
    sig = out.sigma0.values[ok]
    assert np.median(sig[z > 1000]) > np.median(sig[shallow])
    assert 20 < np.nanmin(sig) and np.nanmax(sig) < 28.5
