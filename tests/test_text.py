"""Untrusted metadata text: terminal-safe, Matplotlib-safe, HoloViews-title-safe."""

from __future__ import annotations

import numpy as np
import pytest

from portal.text import clean_text, hv_title, mpl_text, one_line

HOSTILE = "Temp\x1b[31m red\x1b]0;owned\x07 \x07bell\rback\x9b2J\x00 ok\tend\nline"


def test_control_characters_are_dropped():
    text = clean_text(HOSTILE)
    assert not [c for c in text if ord(c) < 32 and c not in "\t\n" or 0x7f <= ord(c) <= 0x9f]
    assert "Temp red" in text and "owned" not in text and "bell" in text and "\tend\n" in text
    assert one_line(HOSTILE) == "Temp red bellback ok end line"


def test_matplotlib_and_holoviews_escapes():
    assert mpl_text(r"$m^{-3$") == r"\$m^{-3\$"
    assert hv_title("a {label} b}") == "a {{label}} b}}"
    assert hv_title("a {label} b}").format() == "a {label} b}"


@pytest.mark.parametrize("units", [r"$\frac$", r"$m^{-3$", "$", r"$\undefined{x}$", "ok $x$"])
def test_invalid_tex_in_metadata_still_renders_a_png(tmp_path, units):
    import pandas as pd
    import xarray as xr

    from portal.cataloging.scan import describe_file
    from portal.model import Query
    from portal.quicklooks import Style
    from portal.render.quicklook import render_quicklook_png

    ds = xr.Dataset(
        {"sst": (("time", "latitude", "longitude"), np.random.default_rng(1).random((3, 20, 30)),
                 {"units": units, "long_name": f"Temp {units} \x1b[31m"})},
        coords={"time": pd.date_range("2020", periods=3), "latitude": np.linspace(40, 50, 20),
                "longitude": np.linspace(-10, 0, 30)},
        attrs={"title": f"Grid {units} {{group}} title"})
    ds.to_netcdf(tmp_path / "g.nc")
    entry = describe_file(str(tmp_path / "g.nc"), "g")
    png = render_quicklook_png(entry, "map", Query(),
                               Style(width=300, height=200, interactive=False))
    assert png.startswith(b"\x89PNG")
