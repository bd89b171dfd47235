"""Point-store downloads: the CSV and NetCDF rows equal the store's rows for the query, the
estimate from the row-group index bounds the rows, and a selection over the cap is refused."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from portal import downloads
from portal.errors import SelectionTooLarge
from portal.model import DatasetEntry
from portal.pointstore.schema import preset_mask_table
from portal.query import Query


def _entry(path: str) -> DatasetEntry:
    return DatasetEntry.from_metadata("pts", "pointstore", {"store": path}, {"title": "pts"})


def _reference(ref: dict, west, south, east, north, t0=None, t1=None) -> np.ndarray:
    keep = ((ref["longitude"] >= west) & (ref["longitude"] <= east)
            & (ref["latitude"] >= south) & (ref["latitude"] <= north))
    if t0 is not None:
        keep &= (ref["time"] >= t0) & (ref["time"] <= t1)
    return keep


def _csv(selection) -> pd.DataFrame:
    data = b"".join(c.encode() if isinstance(c, str) else c
                    for c in downloads.csv_chunks(selection))
    return pd.read_csv(io.BytesIO(data), comment="#")


def _sorted(frame: pd.DataFrame, names) -> np.ndarray:
    rows = np.column_stack([np.asarray(frame[n], "float64") for n in names])
    return rows[np.lexsort(rows.T[::-1])]


def test_csv_rows_equal_the_store_rows_of_box_and_time(synthetic):
    path, ref = synthetic
    query = Query(bbox="-60,0,20,60", time="2006-01-01/2008-12-31", variable="TEMP")
    selection = downloads.prepare(_entry(path), query)
    frame = _csv(selection)
    t0 = int(np.datetime64("2006-01-01", "s").astype(np.int64))
    t1 = int(np.datetime64("2008-12-31T23:59:59", "s").astype(np.int64))
    keep = _reference(ref, -60, 0, 20, 60, t0, t1)
    assert list(frame.columns) == ["platform", "cycle", "time", "longitude", "latitude", "z",
                                   "TEMP", "TEMP_qc"]
    assert len(frame) == keep.sum() > 1000
    assert 0 < selection.size <= selection.export.upper  # estimated from the index only
    assert keep.sum() <= selection.export.upper
    seconds = pd.to_datetime(frame["time"]).to_numpy().astype("datetime64[s]").astype("int64")
    got = _sorted(frame.assign(time=seconds), ["time", "longitude", "latitude", "TEMP"])
    want = {"time": ref["time"][keep], "longitude": ref["longitude"][keep],
            "latitude": ref["latitude"][keep], "TEMP": ref["TEMP"][keep]}
    expected = _sorted(pd.DataFrame(want), ["time", "longitude", "latitude", "TEMP"])
    np.testing.assert_array_equal(got[:, 0], expected[:, 0])
    np.testing.assert_array_equal(got[:, 1:].astype("float32"), expected[:, 1:].astype("float32"))


def test_qc_good_nulls_rejected_values_and_drops_rows(synthetic):
    path, ref = synthetic
    frame = _csv(downloads.prepare(_entry(path), Query(variable="TEMP", qc="good")))
    ok = preset_mask_table("good").astype(bool)[ref["TEMP_qc"].view(np.uint8)]
    assert len(frame) == ok.sum()
    assert set(frame["TEMP_qc"].unique()) <= {1, -1}
    assert np.isclose(np.nansum(frame["TEMP"]), np.nansum(ref["TEMP"][ok]), rtol=1e-6)


def test_netcdf_is_a_point_table_with_the_rows(synthetic):
    import xarray as xr

    path, ref = synthetic
    selection = downloads.prepare(_entry(path), Query(bbox="0,0,40,40", variable="PSAL"))
    ds = xr.open_dataset(io.BytesIO(downloads.netcdf_bytes(selection)), engine="h5netcdf")
    keep = _reference(ref, 0, 0, 40, 40)
    assert ds.sizes["obs"] == keep.sum() > 0
    assert ds.attrs["featureType"] == "point" and ds.attrs["source_kind"] == "pointstore"
    np.testing.assert_array_equal(np.sort(ds["PSAL"].values[~np.isnan(ds["PSAL"].values)]),
                                  np.sort(ref["PSAL"][keep][~np.isnan(ref["PSAL"][keep])]))


def test_over_the_cap_is_refused_from_the_index(synthetic, monkeypatch):
    import portal.downloads as mod
    from portal.settings import Limits

    path, _ = synthetic
    monkeypatch.setattr(mod, "limits", lambda: Limits(max_download_rows=1000))
    with pytest.raises(SelectionTooLarge) as err:
        downloads.prepare(_entry(path), Query())
    assert "50,000" in str(err.value) and err.value.http_status == 413


def test_page_estimate_is_the_index_estimate(synthetic):
    path, _ = synthetic
    query = Query(bbox="-60,0,20,60", variable="TEMP")
    shown = downloads.estimate(_entry(path), query)
    assert shown.size == downloads.prepare(_entry(path), query).size > 0
    assert shown.nbytes > 40 * shown.size and not shown.refused


def test_small_batches_stream_every_row_in_order(synthetic, monkeypatch):
    """Batches of a few row groups (some emptied by the box) still give every row, in the
    order of the one-batch read: an empty batch does not end the stream."""
    from portal.pointstore import export

    path, ref = synthetic
    query = Query(bbox="-60,0,20,60", variable="TEMP")
    whole = _csv(downloads.prepare(_entry(path), query))
    monkeypatch.setattr(export, "BATCH_ROWS", 1)  # one row group a batch
    selection = downloads.prepare(_entry(path), query)
    assert len(list(selection.export.batches())) > 3
    pieces = _csv(selection)
    assert len(pieces) == _reference(ref, -60, 0, 20, 60).sum() == len(whole)
    pd.testing.assert_frame_equal(pieces, whole)
