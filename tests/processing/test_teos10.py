"""TEOS-10 chain of the T-S diagram: absolute salinity, conservative temperature and σ₀
against the check values of the TEOS-10 ``gsw`` toolbox (``gsw_cv_v3_0``), units (K, °C,
PSU) and the chain on a real Argo file of ``../shared/data/argo``."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal.errors import UnsupportedQuicklook
from portal.processing.teos10 import celsius, teos10, ts_columns

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


def _obs(temp, units="degree_Celsius", z_units="dbar", rows=CHECK, sal_units="psu",
         sal_attrs=None, names=("TEMP", "PSAL"), temp_std="sea_water_temperature"):
    sp, _, p, lon, lat = (np.array([r[i] for r in rows]) for i in range(5))
    sal = {"units": sal_units, "standard_name": "sea_water_salinity"}
    return xr.Dataset(
        {names[0]: ("obs", np.asarray(temp), {"units": units, "standard_name": temp_std}),
         names[1]: ("obs", sp, sal if sal_attrs is None else sal_attrs)},
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
    assert celsius(np.array([12.0]), "celsius degree")[0] == 12.0
    with pytest.raises(UnsupportedQuicklook, match="degF"):
        celsius(np.array([50.0]), "degF")
    with pytest.raises(UnsupportedQuicklook, match="mg/l"):
        ts_columns(_obs([r[1] for r in CHECK], sal_units="mg/l"))
    obs = _obs([r[1] for r in CHECK]).drop_vars("PSAL")
    with pytest.raises(UnsupportedQuicklook, match="no salinity") as err:
        ts_columns(obs, "some_dataset")
    assert err.value.dataset == "some_dataset"


SIGMA0 = [r[7] for r in CHECK]


@pytest.mark.parametrize("units", ["p.s.u.", "dimensionless", "PSS-78", "pss78", "1", "1e-3",
                                   "0.001", "", "PSU"])
def test_practical_salinity_in_any_of_its_spellings(units):
    """The TSG file writes 'p.s.u.', the SeaDataNet CTD file 'dimensionless': the same
    practical salinity, the same σ₀ (standard name sea_water_practical_salinity)."""
    obs = _obs([r[1] for r in CHECK], sal_attrs={
        "units": units, "standard_name": "sea_water_practical_salinity"},
        names=("TEMPPR01", "PSLTZZ01"))
    cols = ts_columns(obs)
    assert (cols.temperature, cols.salinity, cols.salinity_kind) == (
        "TEMPPR01", "PSLTZZ01", "practical")
    np.testing.assert_allclose(teos10(obs, cols).sigma0.values, SIGMA0, atol=1e-8)


def test_absolute_salinity_in_g_per_kg_is_used_as_sa():
    """sea_water_absolute_salinity (g/kg) is Sᴀ itself: no SA_from_SP; same CT and σ₀."""
    obs = _obs([r[1] for r in CHECK], sal_attrs={
        "units": "g/kg", "standard_name": "sea_water_absolute_salinity"}, names=("t", "SA"))
    obs["SA"].values[:] = [r[5] for r in CHECK]
    cols = ts_columns(obs)
    assert cols.salinity_kind == "absolute"
    out = teos10(obs, cols)
    np.testing.assert_array_equal(out.SA.values, [r[5] for r in CHECK])
    np.testing.assert_allclose(out.CT.values, [r[6] for r in CHECK], atol=1e-8)
    np.testing.assert_allclose(out.sigma0.values, SIGMA0, atol=1e-8)


def test_odv_names_without_standard_names_are_found():
    """ODV spreadsheets: 'Temperature' / 'Salinity' (any case), or the label with its units
    in brackets, or 'practical_salinity' beside a potential temperature."""
    bare = {"units": "psu"}
    obs = _obs([r[1] for r in CHECK], units="C", temp_std="", sal_attrs=bare,
               names=("Temperature", "Salinity"))
    assert ts_columns(obs) == ts_columns(obs, names=["Temperature", "Salinity"])
    assert (ts_columns(obs).temperature, ts_columns(obs).salinity) == ("Temperature", "Salinity")
    obs = _obs([r[1] for r in CHECK], units="", temp_std="", sal_attrs={},
               names=("Temperature [degC]", "Salinity [psu]"))
    np.testing.assert_allclose(teos10(obs, ts_columns(obs)).sigma0.values, SIGMA0, atol=1e-8)
    with pytest.raises(UnsupportedQuicklook, match="no salinity"):
        ts_columns(obs, names=["Temperature [degC]"])  # the other one holds no data


def test_potential_temperature_goes_through_ct_from_pt():
    import gsw

    pt = gsw.pt_from_CT(np.array([r[5] for r in CHECK]), np.array([r[6] for r in CHECK]))
    obs = _obs(pt, temp_std="sea_water_potential_temperature")
    cols = ts_columns(obs)
    assert cols.temperature_kind == "potential"
    np.testing.assert_allclose(teos10(obs, cols).CT.values, [r[6] for r in CHECK], atol=1e-8)


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
