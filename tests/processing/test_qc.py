"""QC flags: conversion from every storage, presets per scheme, masks."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from portal.processing.qc import accepted_flags, apply_qc, qc_to_int


def test_char_flags_become_integers():
    flags = xr.DataArray(np.array([b"1", b"2", b" ", b"4", b"A", b"Q"], dtype="S1"))
    assert qc_to_int(flags).values.tolist() == [1, 2, -1, 4, 10, 11]


def test_object_and_float_flags():
    obj = xr.DataArray(np.array([b"1", b"9", "3", None], dtype=object))
    assert qc_to_int(obj).values.tolist() == [1, 9, 3, -1]
    flt = xr.DataArray(np.array([1.0, np.nan, 4.0, 200.0]))
    assert qc_to_int(flt).values.tolist() == [1, -1, 4, -1]


def test_presets_differ_by_scheme():
    assert accepted_flags("good", "argo") == {1}
    assert accepted_flags("good_probably", "argo") == {1, 2, 5, 8}
    assert accepted_flags("good_probably", "generic") == {1, 2}
    assert accepted_flags("all", "seadatanet") is None


def _obs(flags, scheme="argo"):
    values = np.arange(len(flags), dtype="float64")
    return xr.Dataset({"TEMP": ("obs", values),
                       "TEMP_qc": ("obs", np.array(flags, dtype="int8"), {"qc_scheme": scheme})})


def test_apply_qc_masks_rejected_values():
    obs = _obs([1, 2, 3, 4, -1, 8])
    good = apply_qc(obs, "TEMP", "good")
    assert np.isnan(good.TEMP.values).tolist() == [False, True, True, True, True, True]
    prob = apply_qc(obs, "TEMP", "good_probably")
    assert np.isnan(prob.TEMP.values).tolist() == [False, False, True, True, True, False]
    assert apply_qc(obs, "TEMP", "all").TEMP.notnull().all()


def test_variable_without_flags_is_kept_whole():
    obs = xr.Dataset({"TEMP": ("obs", np.arange(3.0))})
    assert apply_qc(obs, "TEMP", "good").TEMP.notnull().all()


def test_seadatanet_byte_codes_are_characters():
    codes = xr.DataArray(np.array([49, 50, 52, 65, 57, -1], dtype="int8"))
    assert qc_to_int(codes).values.tolist() == [1, 2, 4, 10, 9, -1]
    plain = xr.DataArray(np.array([1, 2, 4, 0], dtype="int8"))  # ordinary small flags
    assert qc_to_int(plain).values.tolist() == [1, 2, 4, 0]


def test_masked_byte_codes_read_as_floats():
    codes = xr.DataArray(np.array([49.0, 52.0, np.nan, 81.0]))
    assert qc_to_int(codes).values.tolist() == [1, 4, -1, 11]


def _flagged(flags, values=(35.1, 35.2, 35.3)):
    return xr.Dataset(
        {"PSAL": ("obs", np.asarray(values, dtype="float64")),
         "PSAL_qc": ("obs", np.asarray(flags, dtype="int8"), {"qc_scheme": "argo"})},
        coords={"z": ("obs", [5.0, 10.0, 20.0])})


def test_auto_qc_hides_values_flagged_bad_but_not_unchecked_ones():
    """Every salinity flagged 3/4: the default preset stays "good and probably good" and
    the refusal says why; flags that only say "no QC performed" show everything."""
    from portal.errors import NoDataInSelection
    from portal.processing.subset import select_obs
    from portal.processing.variables import resolve_qc
    from portal.query import Query

    assert resolve_qc("auto", _flagged([1, 4, 4]), "PSAL") == "good_probably"
    assert resolve_qc("auto", _flagged([0, 0, 0]), "PSAL") == "all"
    bad = _flagged([3, 4, 4])
    assert resolve_qc("auto", bad, "PSAL") == "good_probably"
    with pytest.raises(NoDataInSelection, match=r"every PSAL value is flagged \(probably bad, "
                                                r"bad\)"):
        select_obs(bad, Query(qc="good_probably"), "PSAL")
    assert select_obs(bad, Query(qc="all"), "PSAL").sizes["obs"] == 3
