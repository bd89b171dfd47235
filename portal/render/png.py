"""PNG sink: a quicklook element rendered server-side with Matplotlib, no browser.

The same HoloViews element the page shows is handed to HoloViews' Matplotlib
renderer (GeoViews elements draw on Cartopy axes), at the requested pixel size.
Dynamic elements (zoom-resampled time series) are rendered at their initial
state. A lock serialises Matplotlib, which is not thread-safe. Each figure is
released after ``savefig`` (HoloViews' colour-bar registry would keep it alive).
"""

from __future__ import annotations

import io
import threading

_LOCK = threading.Lock()
DPI = 100


def _static(element):
    import holoviews as hv

    if isinstance(element, hv.DynamicMap):
        return element[()] if not element.kdims else element.select()
    if isinstance(element, hv.Layout | hv.Overlay | hv.NdOverlay):
        return element.map(lambda el: el[()] if isinstance(el, hv.DynamicMap) else el,
                           [hv.DynamicMap])
    return element


def _title_on_figure(fig, width: int) -> None:
    """Move the axes title to the figure (Cartopy's GeoAxes does not draw its own),
    wrapped on at most two lines that fit the image: a long title is never cut off."""
    import textwrap

    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    if titles:
        for ax in fig.axes:
            ax.set_title("")
        per_line = max(int(width / 7.6), 30)  # 10-point DejaVu Sans: ~7.6 px a character
        lines = textwrap.wrap(titles[0], per_line, max_lines=2, placeholder=" …")
        fig.suptitle("\n".join(lines), fontsize=10, y=0.985, va="top")


def render_png(element, width: int = 800, height: int = 500) -> bytes:
    """PNG bytes of ``element`` at about ``width`` x ``height`` pixels."""
    import holoviews as hv
    import matplotlib

    matplotlib.use("Agg", force=False)
    from portal.quicklooks import ensure_backends

    ensure_backends()
    element = _static(element)
    buf = io.BytesIO()
    with _LOCK:
        fig = None
        try:
            fig = hv.renderer("matplotlib").get_plot(element).state
            fig.set_size_inches(width / DPI, height / DPI)
            _title_on_figure(fig, width)
            fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
        finally:
            release(fig)
    return buf.getvalue()


def release(fig) -> None:
    """Let the figure go: close it and empty HoloViews' class-level colour-bar registry.

    ``ColorbarPlot._colorbars`` maps ``id(axes)`` to the colour bars drawn on them and is
    never emptied, so every rendered figure (~46 MB at 3000x3000) stayed alive, and a
    recycled ``id`` could even hand an old figure's colour bars to a new one. Called
    under the render lock, when no other figure is being built.
    """
    import matplotlib.pyplot as plt
    from holoviews.plotting.mpl.element import ColorbarPlot

    ColorbarPlot._colorbars.clear()
    if fig is not None:
        plt.close(fig)
        fig.clear()
