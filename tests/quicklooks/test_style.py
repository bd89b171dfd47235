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
