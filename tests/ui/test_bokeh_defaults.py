"""Bokeh's immutable property defaults memoised per model class: the same values as
Bokeh's own reads, mutable defaults still per instance, themes still honoured, and a
second read no longer recomputes the default."""

from __future__ import annotations

import numpy as np
import pytest

from portal.ui import bokeh_defaults


@pytest.fixture
def memo():
    bokeh_defaults.memoize_stable_defaults()
    yield
    bokeh_defaults.restore_bokeh_defaults()


def _figure():
    import holoviews as hv

    from portal.quicklooks import ensure_backends

    ensure_backends()
    element = hv.Curve(np.arange(5.0)) * hv.Scatter(np.arange(5.0)).opts(tools=["hover"])
    return hv.render(element, backend="bokeh")


def _values(models) -> list[tuple[str, str, str]]:
    return [(type(m).__name__, name, repr(value)) for m in models
            for name, value in sorted(m.properties_with_values(include_defaults=True).items())
            if name != "id"]


def test_every_value_of_a_figure_is_bokehs_own():
    bokeh_defaults.restore_bokeh_defaults()
    fig = _figure()
    models = sorted(fig.references(), key=lambda m: m.id)
    own = _values(models)
    bokeh_defaults.memoize_stable_defaults()
    try:
        assert _values(models) == own  # read through the memo, twice: the same
        assert _values(models) == own
        assert _values(sorted(_figure().references(), key=lambda m: type(m).__name__))
    finally:
        bokeh_defaults.restore_bokeh_defaults()


def test_mutable_defaults_stay_per_instance(memo):
    from bokeh.models import ColumnDataSource, Range1d
    from bokeh.plotting import figure

    one, two = figure(), figure()
    assert one.renderers is not two.renderers
    one.renderers.append(one.scatter([1], [1]))
    assert len(two.renderers) == 0
    a, b = ColumnDataSource(), ColumnDataSource()
    assert a.data is not b.data and a.selected is not b.selected
    assert Range1d().start == 0 and Range1d(start=3).start == 3


def test_themes_are_honoured(memo):
    from bokeh.document import Document
    from bokeh.models import Range1d
    from bokeh.themes import Theme

    plain = Range1d()
    assert plain.end == 1  # memoised
    doc = Document()
    themed = Range1d()
    doc.add_root(themed)
    doc.theme = Theme(json={"attrs": {"Range1d": {"end": 7}}})
    assert themed.end == 7 and Range1d().end == 1


def test_a_second_read_does_not_compute_the_default_again(memo, monkeypatch):
    from bokeh.core.property.bases import Property
    from bokeh.models import Title

    Title().text_font_size  # noqa: B018 - the first read fills the memo
    calls: list[str] = []
    real = Property.themed_default
    monkeypatch.setattr(Property, "themed_default",
                        lambda self, *a, **k: calls.append(a[1]) or real(self, *a, **k))
    assert Title().text_font_size == "13px"
    assert "text_font_size" not in calls  # (building a model fills its mutable defaults)
    bokeh_defaults.restore_bokeh_defaults()
    assert Title().text_font_size == "13px"
    assert "text_font_size" in calls  # Bokeh's own read computes it each time
