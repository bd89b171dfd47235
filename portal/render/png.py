"""PNG sink: a quicklook element rendered server-side with Matplotlib, no browser.

The same HoloViews element the page shows is handed to HoloViews' Matplotlib
renderer (GeoViews elements draw on Cartopy axes), at the requested pixel size.
Dynamic elements (zoom-resampled time series) are rendered at their initial
state. A lock serialises Matplotlib, which is not thread-safe. Each figure is
released after ``savefig`` (HoloViews' colour-bar registry would keep it alive), and
the render's reference cycles (figure, axes and artists; HoloViews' plot objects) are
collected at once by :func:`collect_garbage` where that is cheap: in a server whose
start-up heap is frozen (:func:`freeze_startup_heap`). Left to Python's collector they
waited for a rare full collection, and the server grew ~100 MB per 100 distinct T-S
PNGs before one came.
"""

from __future__ import annotations

import functools
import gc
import io
import logging
import threading

from portal.text import clean_text, mpl_text

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


def keep_texts_inside(fig, margin: float = 3.0, tries: int = 3) -> None:
    """Squeeze the axes leftwards until no text (colour-bar date labels, the colour bar's
    own label) crosses the figure's right edge: long labels are never cut off."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):  # HoloViews' figures have no canvas yet
        FigureCanvasAgg(fig)
    width = fig.get_figwidth() * fig.dpi
    for _ in range(tries):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        right = max((t.get_window_extent(renderer).x1 for t in _texts(fig)
                     if t.get_visible()), default=0.0)
        if right <= width - margin:
            return
        scale = (width - margin) / right
        for ax in fig.axes:
            box = ax.get_position()
            ax.set_position([box.x0 * scale, box.y0, box.width * scale, box.height])


def _texts(fig):
    from matplotlib.text import Text

    return [text for text in fig.findobj(Text) if text.get_text()]


def save_plain(fig, buf, **kwargs) -> None:
    """``fig.savefig`` with metadata text shown as typed: control characters dropped,
    and if Matplotlib cannot parse some ``$…$`` as TeX (units like ``$\\frac$``) every
    ``$`` is escaped and the figure saved again, instead of the whole PNG failing."""

    for text in _texts(fig):
        if clean_text(text.get_text()) != text.get_text():
            text.set_text(clean_text(text.get_text()))
    try:
        fig.savefig(buf, **kwargs)
    except ValueError:  # Matplotlib's mathtext parse errors
        maths = [text for text in _texts(fig) if "$" in text.get_text()]
        if not maths:
            raise
        for text in maths:
            text.set_text(mpl_text(text.get_text()))
        buf.seek(0)
        buf.truncate()
        fig.savefig(buf, **kwargs)


def legends_below(fig, height: int, fontsize: float = 7.0) -> None:
    """Move every axes' legend into one legend under the plots, the axes raised to make
    room: long legend entries (combined views: one per dataset) neither cover the data
    nor squeeze the plot sideways."""
    handles, labels = [], []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            handles += list(legend.legend_handles)
            labels += [text.get_text() for text in legend.get_texts()]
            legend.remove()
    if not labels:
        return
    bottom = min((len(labels) * fontsize * 1.9 + 8) / height, 0.45)
    for ax in fig.axes:
        box = ax.get_position()
        ax.set_position([box.x0, bottom + box.y0 * (1 - bottom), box.width,
                         box.height * (1 - bottom)])
    fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.01, 0.0),
               fontsize=fontsize, frameon=False, ncol=1, borderaxespad=0.3)
    _widen_map(fig, bottom)


def _widen_map(fig, bottom: float) -> None:
    """A map (Cartopy GeoAxes, fixed aspect) given the figure's width above the legend,
    its colour bar beside it at its height."""
    maps = [ax for ax in fig.axes if hasattr(ax, "projection")]
    if len(maps) != 1:
        return
    geo, bars = maps[0], [ax for ax in fig.axes if ax is not maps[0]]
    geo.set_position([0.08, bottom + 0.07, 0.72, 0.9 - bottom - 0.07])  # room for ticks
    geo.apply_aspect()
    box = geo.get_position(original=False)
    for i, bar in enumerate(bars):
        bar.set_position([box.x1 + 0.02 + 0.08 * i, box.y0, 0.018, box.height])
    _hide_texts_off_figure(fig)


def _hide_texts_off_figure(fig) -> None:
    """Hide texts wholly outside the figure (Cartopy tick labels of longitudes beyond the
    map's extent): never seen, they would make :func:`keep_texts_inside` squeeze the map."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.get_figwidth() * fig.dpi
    for text in _texts(fig):
        extent = text.get_window_extent(renderer)
        if extent.x0 >= width or extent.x1 <= 0:
            text.set_visible(False)


def render_png(element, width: int = 800, height: int = 500, legend_below: bool = False
               ) -> bytes:
    """PNG bytes of ``element`` at about ``width`` x ``height`` pixels (with
    ``legend_below``, legends gathered under the plot: :func:`legends_below`)."""
    png = _render(element, width, height, legend_below)
    collect_garbage()  # the figure and HoloViews' plot, unreachable now
    return png


def _render(element, width: int, height: int, legend_below: bool) -> bytes:
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
            if legend_below:
                legends_below(fig, height)
            _title_on_figure(fig, width)
            keep_texts_inside(fig)
            save_plain(fig, buf, format="png", dpi=DPI, facecolor="white")
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


def freeze_startup_heap() -> None:
    """Collect, then move every object alive now (modules, the warmed-up plotting stack) to
    the collector's permanent generation: full collections then scan only what requests
    create (milliseconds instead of ~0.4 s over ~400 000 objects), so
    :func:`collect_garbage` can run after every render; forked workers share those pages.
    Called once by the server after its warm-up, before it forks (``--num-procs``); under
    ``panel serve`` by each process before it serves (:func:`portal.server.warmup.start_process`)."""
    gc.collect()
    gc.freeze()
    gc.collect()  # resets the collector's count of long-lived objects to the unfrozen few
    logging.getLogger(__name__).info("start-up heap frozen: %d objects", gc.get_freeze_count())


def collect_garbage() -> None:
    """Free the reference cycles a render left (figures, artists, plot objects) now, when
    the start-up heap is frozen (a few ms), and hand the freed heap back to the system
    (glibc's ``malloc_trim``, ~3 ms: a 2500x2500 render's buffers otherwise stay in the
    RSS, ~50 MB); elsewhere (the CLI, tests) a full collection would cost more than the
    render and Python's collector comes in its own time."""
    if gc.get_freeze_count():
        gc.collect()
        trim = _malloc_trim()
        if trim is not None:
            trim(0)


class HeapTrimmer(threading.Thread):
    """A daemon thread handing the heap freed since its last round back to the system
    every ``every_s`` seconds (glibc's ``malloc_trim``). Session draws, closed sessions and
    evicted cache entries free memory that glibc otherwise keeps in its arenas (one per
    thread that allocated: the render threads, Tornado's executor): in a 20-session load
    run the server's RSS stood 300–450 MB above its live heap between PNG renders (the
    only other place that trims), and swung by as much from one minute to the next.
    ``ctypes`` releases the interpreter lock during the call (a few ms over a GB-sized
    heap), so the event loop runs on meanwhile."""

    def __init__(self, every_s: float) -> None:
        super().__init__(name="portal-heap-trim", daemon=True)
        self.every_s = every_s
        self.rounds = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        trim = _malloc_trim()
        while trim is not None and not self._stop_event.wait(self.every_s):
            trim(0)
            self.rounds += 1

    def stop(self) -> None:
        self._stop_event.set()


def start_heap_trimmer(every_s: float = 10.0) -> HeapTrimmer | None:
    """Start a :class:`HeapTrimmer` in this process (the server calls it in each process,
    after ``--num-procs`` forked them); None where the C library has no ``malloc_trim``."""
    if _malloc_trim() is None:
        return None
    trimmer = HeapTrimmer(every_s)
    trimmer.start()
    return trimmer


M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """At most ``arenas`` glibc malloc arenas in this process (``mallopt(M_ARENA_MAX)``),
    called at server start, before any thread: glibc otherwise gives each thread that
    allocates (render threads, Tornado's executor, Dask's) an arena of its own, up to
    8 per core, and memory freed in one arena is not reused by the others. In the
    20-session load (bench_load.py, 2 processes, caches full) the RSS grew 27 MB per 100
    requests with the default, 5.5 MB with two arenas. An operator's ``MALLOC_ARENA_MAX``,
    read by glibc at start, is left as it is. Whether it was set (False off glibc)."""
    import os

    mallopt = _glibc("mallopt")
    if os.environ.get("MALLOC_ARENA_MAX") or mallopt is None:
        return False
    return bool(mallopt(M_ARENA_MAX, int(arenas)))


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim`` through ctypes; None where the C library has none (musl,
    macOS)."""
    return _glibc("malloc_trim")


def _glibc(name: str):
    """The glibc function ``name`` through ctypes; None where the C library has none."""
    import ctypes

    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None
