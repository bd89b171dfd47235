"""Which catalog entries pair for a colocation: the page's list and the 400s of bad pairs."""

from __future__ import annotations

import pytest

from portal.colocation import check_pair, overlapping
from portal.errors import UnsupportedQuicklook
from portal.model import DatasetEntry


def _entry(ident, ftype, bbox, times):
    return DatasetEntry.from_metadata(ident, "netcdf", {"urlpath": f"/x/{ident}.nc"},
                                      {"featureType": ftype, "bbox": list(bbox),
                                       "time_coverage": list(times), "title": ident})


GRID = _entry("grid", "grid", (-15, 40, 5, 55), ("2023-08-01", "2023-08-30"))


def test_overlapping_lists_in_situ_entries_meeting_the_grid_in_box_and_time():
    entries = [
        GRID,
        _entry("inside", "profile", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31")),
        _entry("point_mooring", "timeSeries", (-3, 47, -3, 47), ("2023-01-01", "2024-12-31")),
        _entry("west", "profile", (-24, 48, -20, 50), ("2023-01-01", "2024-12-31")),
        _entry("wider", "trajectory", (-30, 30, 20, 60), ("2023-08-05", "2023-08-06")),
        _entry("before", "trajectory", (-8, 45, -6, 46), ("2020-01-01", "2020-02-01")),
        _entry("other_grid", "grid", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31")),
    ]
    assert [e.id for e in overlapping(GRID, entries)] == ["inside", "point_mooring", "wider"]


def test_bad_pairs_name_both_datasets():
    obs = _entry("float", "profile", (-8, 45, -6, 46), ("2023-01-01", "2024-12-31"))
    with pytest.raises(UnsupportedQuicklook, match="float is a profile dataset, not a grid.*obs=grid"):
        check_pair(obs, GRID)
    with pytest.raises(UnsupportedQuicklook, match="grid is not an in-situ.*grid=grid, obs=grid"):
        check_pair(GRID, GRID)
    check_pair(GRID, obs)  # a good pair passes
