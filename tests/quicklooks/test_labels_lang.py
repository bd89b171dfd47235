"""Plot labels follow the Style's language: axes, colour bars and titles in French with
``lang="fr"`` (one builder path for the page, the embed and the PNG route)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.i18n import count, number, t, variable_name
from portal.quicklooks import Style
from portal.quicklooks.style import axis_label, depth_label

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
FILES = {"argo": "argo/multiprofile/6901744_prof.nc",
         "tidegauge": "dsg/timeseries/netCDF_timeseries_tidegauge.nc",
         "sst": "gridded/MWsstd1day_modis_sst_westus.nc"}


def entries():
    from portal.cataloging.scan import describe_file

    missing = [r for r in FILES.values() if not (SHARED / r).is_file()]
    if missing:
        pytest.skip(f"shared test files missing: {', '.join(missing)}")
    return {k: describe_file(str(SHARED / r), k) for k, r in FILES.items()}


def labels(element) -> list[str]:
    """Every dimension label and the titles (both backends) of an element tree."""
    import holoviews as hv

    from portal.render.png import _static

    element = _static(element)
    found: list[str] = []
    for el in element.traverse(lambda e: e):
        found += [d.label for d in el.dimensions()]
        for backend in ("bokeh", "matplotlib"):
            opts = hv.Store.lookup_options(backend, el, "plot").kwargs
            found += [str(opts.get(k)) for k in ("title", "clabel") if opts.get(k)]
    return found


def test_strings_in_both_languages():
    assert t("plot_depth", "fr") == "Profondeur" and t("plot_depth") == "Depth"
    assert t("plot_time", "fr") == "Date (UTC)"
    assert count(1234, "profile", "fr") == "1\u202f234 profils"
    assert count(1, "profile") == "1 profile" and number(1234) == "1,234"
    assert variable_name("sea_water_temperature", "fr") == "Température de l'eau de mer"
    assert variable_name("sea_water_temperature", "en") == ""


def test_axis_label_uses_the_french_standard_name_else_the_long_name():
    attrs = {"standard_name": "sea_water_temperature", "long_name": "Sea temp", "units": "degC"}
    assert axis_label(attrs, "TEMP", "fr") == "Température de l'eau de mer [degC]"
    assert axis_label(attrs, "TEMP") == "Sea temp [degC]"
    assert axis_label({"long_name": "Odd thing", "units": "1"}, "X", "fr") == "Odd thing"
    assert depth_label("dbar", "fr") == "Pression [dbar]" and depth_label("m") == "Depth [m]"


@pytest.mark.parametrize(("key", "kind", "expected"), [
    ("argo", "profile", {"Pression [dbar]", "Date (UTC)"}),
    ("argo", "map", {"Date (UTC)"}),
    ("tidegauge", "timeseries", {"Date (UTC)"}),
    ("sst", "map", set()),
])
def test_builders_label_in_french(key, kind, expected):
    from portal.pipeline import build_quicklook

    entry = entries()[key]
    for interactive in (True, False):
        style = Style(lang="fr", interactive=interactive)
        found = labels(build_quicklook(entry, kind, None, style))
        text = " | ".join(found)
        assert expected <= set(found), text
        assert "Time (UTC)" not in text and "Depth" not in text and "Pressure" not in text
        figures = text.split(" — ")[-1]  # the dataset's own title may be English
        assert not any(w in figures for w in ("profiles", "samples", "valid cells", "drawn")), text
        assert "QC good" not in text, text
    english = " | ".join(labels(build_quicklook(entry, kind, None, Style(interactive=False))))
    assert "Date (UTC)" not in english and "Profondeur" not in english


def test_style_refuses_an_unknown_language():
    with pytest.raises(ValueError, match="lang"):
        Style(lang="de")


def test_point_store_colour_bar_labels_in_french():
    from portal.quicklooks.pointmap import colouring

    assert colouring("count", Style(lang="fr"), "TEMP")[0] == \
        "Observations de TEMP par maille (log10)"
    assert colouring("mean", Style(lang="fr"), "PSAL")[0] == "Moyenne de PSAL"
    assert colouring("mean", Style(), "PSAL")[0] == "Mean PSAL"


@pytest.mark.parametrize(("kind", "expected"), [
    ("ts", {"Salinité absolue Sᴀ [g/kg]", "Température conservative Θ [°C]", "Date (UTC)"}),
    ("section", {"Distance le long de la trajectoire [km]", "Pression [dbar]", "Positions"}),
    ("timedepth", {"Date (UTC)", "Pression [dbar]"}),
])
def test_oceanographic_kinds_label_their_axes_in_french(kind, expected):
    from portal.pipeline import build_quicklook

    entry = entries()["argo"]
    found = labels(build_quicklook(entry, kind, None, Style(lang="fr")))
    text = " | ".join(found)
    assert expected <= set(found), text
    assert not any(w in text for w in ("Time (UTC)", "Pressure", "Absolute salinity",
                                       "Distance along")), text
    english = set(labels(build_quicklook(entry, kind, None, Style())))
    assert "Time (UTC)" in english or "Distance along the track [km]" in english


def _titles(element) -> str:
    import holoviews as hv

    from portal.render.png import _static

    found = []
    for el in [element, *_static(element).traverse(lambda e: e)]:
        for backend in ("bokeh", "matplotlib"):
            found.append(str(hv.Store.lookup_options(backend, el, "plot").kwargs.get("title")))
    return " | ".join(found)


@pytest.mark.parametrize(("kind", "french", "english"), [
    ("ts", "diagramme T-S (TEOS-10), 3", "T-S diagram (TEOS-10), 3"),
    ("section", "section de TEMP, 3", "section of TEMP, 3"),
    ("timedepth", "temps–profondeur de TEMP, 34 profils, 100 niveaux",
     "time–depth of TEMP, 34 profiles, 100 levels"),
    ("linked", "vues liées, 3", "linked views, 3"),
])
def test_the_new_kinds_title_in_french(kind, french, english):
    from portal.pipeline import build_quicklook

    entry = entries()["argo"]
    wide = {"interactive": kind == "linked",  # the linked views live in the page only
            "width": 2400}  # a title uncut
    fr = _titles(build_quicklook(entry, kind, None, Style(lang="fr", **wide)))
    assert french in fr, fr
    assert english.split(",")[0] not in fr and "samples" not in fr, fr
    if kind != "timedepth":
        assert "mesures" in fr, fr
    en = _titles(build_quicklook(entry, kind, None, Style(**wide)))
    assert english in en, en


def test_the_linked_views_panels_in_french():
    from portal.pipeline import build_quicklook

    element = build_quicklook(entries()["argo"], "linked", None, Style(lang="fr"))
    text = _titles(element) + " | " + " | ".join(labels(element))
    assert "Positions (cadre : zone)" in text and "Temps–profondeur (cadre : période)" in text
    assert "T-S (TEOS-10 ; clic : un profil)" in text and "Date (UTC)" in text
    assert "click" not in text and "Time (UTC)" not in text and "Absolute" not in text, text


def test_the_overlay_title_in_french():
    from portal.pipeline import build_overlay

    chosen = entries()
    pair = [chosen["argo"], chosen["sst"]]
    fr = _titles(build_overlay(pair, "map", None, Style(lang="fr", interactive=False)))
    assert "2 jeux de données sur 2 — carte" in fr, fr
    en = _titles(build_overlay(pair, "map", None, Style(interactive=False)))
    assert "2 of 2 datasets — map" in en, en


def test_the_colocation_title_and_panels_in_french():
    from portal.quicklooks.colocate import build, title_of
    from tests.render.test_colocate_png import result

    pairs = result.__wrapped__()
    assert title_of(pairs, "grid", "obs", "fr").startswith("obs (TEMP) comparé à grid (sst) — ")
    assert "biais=" in title_of(pairs, "grid", "obs", "fr") and "(plus proche)" in \
        title_of(pairs, "grid", "obs", "fr")
    assert title_of(pairs, "grid", "obs").startswith("obs (TEMP) vs grid (sst) — N=39, bias=")
    text = _titles(build(pairs, "grid", "obs", Style(lang="fr"))) + " | ".join(
        labels(build(pairs, "grid", "obs", Style(lang="fr"))))
    assert "comparé à" in text and "Écart aux observations" in text, text
    assert "Observé : TEMP [" in text and "Observed" not in text, text
    from portal.render.colocate import figure  # the PNG's Matplotlib figure

    fig = figure(pairs, "grid", "obs", lang="fr")
    assert "comparé à" in fig._suptitle.get_text() and "biais" in fig._suptitle.get_text()
    assert fig.axes[0].get_xlabel() == "Observé : TEMP [°C]"
    assert fig.axes[1].get_title() == "Écart aux observations"
