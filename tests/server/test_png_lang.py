"""The PNG route draws its labels in the language asked (``lang=fr``): the texts handed
to Matplotlib (profiles, series) and to the fast map renderer are French; an unknown
language is a 400 naming ``lang``."""

from __future__ import annotations

import pytest

from portal.errors import BadParameter
from portal.server.handlers import _render_cached, parse_png_args
from tests.quicklooks.test_labels_lang import entries


def route(entry, kind: str, args: dict) -> None:
    """What the handler does with the request's arguments (parse, then render cached)."""
    query, style_kw = parse_png_args({k: [v.encode()] for k, v in args.items()})
    _render_cached(entry, kind, query, tuple(sorted(style_kw.items())))


@pytest.fixture
def mpl_texts(monkeypatch):
    """The texts of every figure saved by the Matplotlib path."""
    from portal.render import png

    seen: list[str] = []
    save = png.save_plain

    def spy(fig, buf, **kwargs):
        seen.extend(text.get_text() for text in png._texts(fig))
        return save(fig, buf, **kwargs)

    monkeypatch.setattr(png, "save_plain", spy)
    return seen


@pytest.mark.parametrize(("key", "kind", "french", "english"), [
    ("argo", "profile", ["Pression [dbar]", "Date (UTC)", "profils"], ["Pressure [dbar]"]),
    ("tidegauge", "timeseries", ["Date (UTC)", "dans la source"], ["Time (UTC)"]),
])
def test_matplotlib_labels_in_french(mpl_texts, key, kind, french, english):
    entry = entries()[key]
    route(entry, kind, {"lang": "fr", "width": "640"})
    text = "\n".join(mpl_texts)
    assert all(word in text for word in french), text
    assert not any(word in text for word in english), text
    mpl_texts.clear()
    route(entry, kind, {"width": "640"})  # English by default, not the French image cached
    text = "\n".join(mpl_texts)
    assert all(word in text for word in english), text


def test_fast_map_labels_in_french(monkeypatch):
    from portal.render import maps

    pictures = []
    render = maps.render
    monkeypatch.setattr(maps, "render", lambda pic, *a: pictures.append(pic) or render(pic, *a))
    entry = entries()["argo"]
    route(entry, "map", {"lang": "fr", "color": "time"})
    route(entry, "map", {"color": "time"})
    (fr, en) = pictures
    assert fr.label == "Date (UTC)" and "positions" in fr.title and "QC good" not in fr.title
    assert en.label == "Time (UTC)"
    pictures.clear()
    route(entries()["sst"], "map", {"lang": "fr"})
    assert "mailles valides" in pictures[0].title


def test_unknown_language_is_a_bad_parameter():
    with pytest.raises(BadParameter) as info:
        parse_png_args({"lang": [b"de"]})
    assert info.value.parameter == "lang"


@pytest.mark.parametrize(("kind", "french", "english"), [
    ("ts", "diagramme T-S (TEOS-10)", "T-S diagram"),
    ("section", "section de TEMP", "section of"),
    ("timedepth", "temps–profondeur de TEMP", "time–depth of"),
])
def test_the_new_kinds_png_title_in_french(mpl_texts, kind, french, english):
    entry = entries()["argo"]
    route(entry, kind, {"lang": "fr", "width": "1400"})
    text = " ".join("\n".join(mpl_texts).split())  # a long title is wrapped
    assert french in text and english not in text, text
    mpl_texts.clear()
    route(entry, kind, {"width": "1400"})
    assert english in " ".join("\n".join(mpl_texts).split())
