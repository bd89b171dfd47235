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
