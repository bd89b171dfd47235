"""Titles fit their plot: Bokeh never wraps a title by itself."""

from __future__ import annotations

from portal.quicklooks.style import fit_title


def test_short_title_unchanged():
    assert fit_title("Argo 6901744 — 35 profiles", 900) == "Argo 6901744 — 35 profiles"


def test_long_title_breaks_before_the_figures_and_fits():
    name = "SST, Aqua MODIS, NPP, 0.0125°, West US, Day time (11 microns), 2002-now (1 Day Composite)"
    text = fit_title(f"{name} — 51,234 valid cells", 800)
    lines = text.split("\n")
    assert lines[-1] == "51,234 valid cells"
    assert all(len(line) * 8.5 <= 800 for line in lines)
    assert " ".join(lines[:-1]) == name


def test_at_most_three_lines_four_on_a_phone():
    text = fit_title("word " * 200 + "— tail", 800)
    assert text.count("\n") == 2 and text.endswith("…")
    text = fit_title("word " * 200 + "— tail", 376)  # a 400 px phone
    lines = text.split("\n")
    assert len(lines) == 4 and text.endswith("…")
    assert all(len(line) * 8.5 <= 376 - 60 for line in lines)  # the ellipsis fits too


def test_viridis_is_matplotlibs_from_the_shipped_table_without_importing_it():
    """The viridis table in static/cmaps gives Matplotlib's colours; reading it imports no
    Matplotlib (a thumbnail's maps need none)."""
    import subprocess
    import sys

    import matplotlib
    import matplotlib.colors as mcolors

    from portal.quicklooks.style import cmap_colors
    from tests.conftest import REPO

    cmap = matplotlib.colormaps["viridis"]
    assert cmap_colors("viridis") == tuple(mcolors.to_hex(cmap(i / 255.0)) for i in range(256))
    code = ("import sys; from portal.quicklooks.style import cmap_colors; "
            "c = cmap_colors('viridis'); print(len(c), c[0], 'matplotlib' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert res.stdout.split() == ["256", "#440154", "False"], res.stderr


def _land_renderers(figure) -> list:
    from portal.quicklooks.style import LAND_RENDERER

    return [r for r in figure.renderers if r.name == LAND_RENDERER]


def test_a_page_map_draws_its_land_once_in_web_mercator_without_geoviews_projecting_it():
    import cartopy.crs as ccrs
    import geoviews as gv
    import holoviews as hv
    import numpy as np

    from portal.quicklooks import ensure_backends
    from portal.quicklooks.style import _mercator_xy, land_layer

    ensure_backends()
    layer = land_layer(True, ((-10.0, 0.0), (40.0, 50.0)))  # Bay of Biscay
    assert len(layer) == 0  # nothing left for GeoViews to project at plot time
    pipe = hv.streams.Pipe(data=([-5e5], [5.5e6]))
    points = hv.DynamicMap(lambda data: gv.Points(data, crs=ccrs.GOOGLE_MERCATOR), streams=[pipe])
    plot = hv.renderer("bokeh").get_plot(points * layer)
    (land,) = _land_renderers(plot.state)
    xs = np.concatenate([ring for poly in land.data_source.data["xs"] for part in poly
                         for ring in part])
    ys = np.concatenate([ring for poly in land.data_source.data["ys"] for part in poly
                         for ring in part])
    # France and Spain, in metres: the window around the view, projected once
    west, south = _mercator_xy(-30.0, 20.0)
    east, north = _mercator_xy(20.0, 70.0)
    assert xs.min() >= west and xs.max() <= east and ys.min() >= south and ys.max() <= north
    assert xs.max() - xs.min() > 1e6
    pipe.send(([-4e5], [5.6e6]))  # a patched frame runs the hook again: still one land
    assert len(_land_renderers(plot.state)) == 1
