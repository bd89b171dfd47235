"""Every real file of ../shared/data is scanned; each usable one renders each quicklook.

The PNG of every applicable quicklook is checked for drawn pixels, the data behind
it for sensible ranges; files the portal cannot use must come with a specific
reason from the scan.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from portal.model import Query
from portal.quicklooks import Style, entry_kinds
from tests.conftest import SHARED

FOLDERS = ("argo", "dsg", "gridded", "odv", "edge_cases")
# (dataset id, kind) that have no data to draw, and the words the message must contain.
# (The Argo trajectory, whose TEMP samples the file leaves untimed, is drawn with times
# interpolated along the trajectory: tests/processing/test_subset_trajectories.py.)
# The Sprof float's salinity is all flagged probably bad or bad: the default QC preset hides
# it (its linked views draw TEMP without the T-S plot and say so).
NO_DATA: dict[tuple[str, str], str] = {
    ("multiprofile_3902131_sprof", "ts"): r"every PSAL value is flagged \(probably bad, bad\)",
}
UNUSABLE = {  # file -> words the scan's reason must contain
    "AG2005040_BadFile.nc": "not a netcdf",
    "trajectoryAoml_tsg_allfill.nc": "fill",
}


def _scan():
    from portal.cataloging.scan import scan_folder

    entries, skipped = [], []
    for folder in FOLDERS:
        result = scan_folder(str(SHARED / folder))
        entries += result.entries
        skipped += result.skipped
    return entries, skipped


_ENTRIES, _SKIPPED = _scan() if SHARED.is_dir() else ([], [])
_CASES = [(e, k) for e in _ENTRIES for k in entry_kinds(e)]


def _drawn(png: bytes) -> tuple[int, float]:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    colours = np.unique(img.reshape(-1, 3), axis=0).shape[0]
    ink = float((img.sum(axis=2) < 600).mean())
    return colours, ink


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent (user clone)")
def test_every_file_is_scanned():
    files = [p for f in FOLDERS for p in (SHARED / f).rglob("*") if p.is_file()]
    seen = {str(p) for e in _ENTRIES for p in [e.arguments.get("urlpath")] if p}
    skipped = {path for path, _ in _SKIPPED}
    missing = [str(p) for p in files if str(p) not in seen | skipped]
    assert not missing, f"files neither catalogued nor reported: {missing}"
    for path, reason in _SKIPPED:
        name = path.rsplit("/", 1)[-1]
        if name in UNUSABLE:
            assert UNUSABLE[name] in reason.lower(), (name, reason)
        assert len(reason) > 15, f"vague reason for {name}: {reason!r}"


@pytest.mark.parametrize(("entry", "kind"), _CASES, ids=[f"{e.id}-{k}" for e, k in _CASES])
def test_quicklook_renders(entry, kind):
    from portal.errors import NoDataInSelection
    from portal.pipeline import load_view
    from portal.render.quicklook import render_quicklook_png

    if (entry.id, kind) in NO_DATA:
        with pytest.raises(NoDataInSelection, match=NO_DATA[(entry.id, kind)]):
            load_view(entry, kind, Query())
        return
    view = load_view(entry, kind, Query())
    data = view.data
    if hasattr(data, "latitude") and data.latitude.size:
        lat = np.asarray(data.latitude.values, dtype="float64")
        assert np.nanmin(lat) >= -90 and np.nanmax(lat) <= 90
    if kind == "profile":
        assert np.nanmax(data.z.values) > np.nanmin(data.z.values) >= -50
    if kind == "timeseries":
        years = data.time.values.astype("datetime64[Y]").astype(int) + 1970
        assert 1900 <= years.min() <= years.max() <= 2100
    if kind == "linked":  # the page's linked views: no PNG form, said so
        from portal.errors import UnsupportedQuicklook

        with pytest.raises(UnsupportedQuicklook, match="interactive"):
            render_quicklook_png(entry, kind, Query(), Style(interactive=False))
        return
    png = render_quicklook_png(entry, kind, Query(), Style(width=640, height=400,
                                                           interactive=False))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    colours, ink = _drawn(png)
    assert colours > 20 and ink > 0.01, f"{entry.id} {kind}: looks blank ({colours}, {ink:.3f})"
