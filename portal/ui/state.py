"""Per-session view state, mirrored in the URL query string.

:class:`ViewState` holds everything that defines what a user sees (dataset,
quicklook kind, variable, time and depth range, QC preset, colours, map extent, zoom,
language, search text). Ranges and boxes are typed (:class:`~portal.query.TimeRange`,
:class:`~portal.query.DepthRange`, :class:`~portal.query.BBox`); their parameters
write and read the same text as :func:`~portal.query.parse_query`, so a copied URL
restores the same view. :meth:`ViewState.query` gives the hashable
:class:`~portal.query.Query` the pipeline caches on.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import param

from portal.errors import BadParameter
from portal.query import (
    COLOR_BY,
    QC_PRESETS,
    BBox,
    DepthRange,
    Query,
    TimeRange,
    param_value,
    parse_instant,
    parse_query,
)
from portal.quicklooks import Style

log = logging.getLogger(__name__)
_C = TypeVar("_C")

URL_KEYS = ("dataset", "datasets", "kind", "var", "time", "at", "depth", "qc", "cmap",
            "color", "bbox", "extent", "view", "lang", "q", "where")


def _lenient(parse: Callable[[str], Any], text: Any) -> Any:
    """Parsed URL text, or None (the key is ignored) when it cannot be used."""
    if text is None or isinstance(text, BBox | TimeRange | DepthRange):
        return text
    text = str(text).strip()
    if not text:
        return None
    try:
        return parse(text)
    except BadParameter as exc:
        log.info("ignored URL parameter: %s", exc)
        return None


def required(class_: type[_C], **params: Any) -> param.ClassSelector[_C]:
    """A parameter for an instance of `class_` that its owner is always built with.

    Param types a ClassSelector without a default as ``class_ | None``; a pane given the
    shared :class:`ViewState` (or its dataset entry) cannot be built without it, so its
    code reads the value as never None. The cast only tells the type checker so.
    """
    return cast("param.ClassSelector[_C]", param.ClassSelector(class_=class_, **params))


class _TypedParam(param.ClassSelector):
    """A typed value (or None) that the URL holds as its text (``""`` when unset)."""

    value_class: type[BBox] | type[TimeRange] | type[DepthRange]  # set by each subclass

    def __init__(self, doc: str = "", **params: Any) -> None:
        super().__init__(default=None, class_=self.value_class, allow_None=True,
                         instantiate=False, doc=doc, **params)

    @classmethod
    def serialize(cls, value: Any) -> str:
        return "" if value is None else value.to_text()

    @classmethod
    def deserialize(cls, value: Any) -> Any:
        return _lenient(cls.value_class.parse, value)


class BBoxParam(_TypedParam):
    value_class = BBox


class TimeRangeParam(_TypedParam):
    value_class = TimeRange


class DepthRangeParam(_TypedParam):
    value_class = DepthRange


# Param (and Panel's URL sync through it) compares values it does not know by identity:
# the browser's URL, sent back once the page connects, set equal ranges again as new
# objects and every view of the state was rebuilt during its first render (BokehJS then
# met a replaced model: "reference … isn't known"). The typed values compare by value.
for _value_class in (BBox, TimeRange, DepthRange):
    param.parameterized.Comparator.equalities[_value_class] = operator.eq


class ViewState(param.Parameterized):
    """What one browser tab shows; every parameter is a URL query key."""

    dataset = param.String(default="", doc="catalog id of the dataset shown")
    datasets = param.String(default="", doc="ids of a combined view, comma-separated (max 5)")
    kind = param.String(default="", doc="quicklook kind: map, profile or timeseries")
    var = param.String(default="", doc="variable drawn")
    time = TimeRangeParam(doc="time window (URL: START/END, ISO)")
    at = param.String(default="", doc="time step a grid draws (URL: ISO instant; '' latest)")
    depth = DepthRangeParam(doc="vertical window (URL: MIN/MAX)")
    qc: param.Selector[str] = param.Selector(default="auto", objects=list(QC_PRESETS), doc="QC preset")
    cmap = param.String(default="auto", doc="colormap name")
    color: param.Selector[str] = param.Selector(default="auto", objects=list(COLOR_BY), doc="colouring")
    bbox = BBoxParam(doc="data filter box (URL: W,S,E,N)")
    extent = BBoxParam(doc="map view (URL: W,S,E,N; zoom), not a filter")
    view = param.String(default="", doc="zoom of a time series (START/END) or a profile "
                        "(X0,X1,Z0,Z1); not a filter (portal.ui.view_tracking)")
    lang: param.Selector[str] = param.Selector(default="en", objects=["en", "fr"], doc="interface language")
    q = param.String(default="", doc="dataset search text")
    where = BBoxParam(doc="dataset search box: datasets overlapping it (URL: W,S,E,N)")

    def query(self) -> Query:
        """The data selection as a hashable Query."""
        return Query(variable=self.var or None, time=self.time,
                     at=_lenient(parse_instant, self.at), depth=self.depth, bbox=self.bbox,
                     qc=self.qc, datasets=self.combined_ids())

    def combined_ids(self) -> tuple[str, ...]:
        """The ids of the combined view (``datasets=``), at most five, in order."""
        from portal.query import MAX_DATASETS

        ids = [i.strip() for i in self.datasets.split(",") if i.strip()]
        return tuple(dict.fromkeys(ids))[:MAX_DATASETS]

    def add_to_view(self, dataset_id: str) -> None:
        """Add a dataset to the combined view (the dataset shown joins it first)."""
        from portal.query import MAX_DATASETS

        ids = list(self.combined_ids()) or ([self.dataset] if self.dataset else [])
        if dataset_id not in ids and len(ids) < MAX_DATASETS:
            ids.append(dataset_id)
        self.datasets = ",".join(ids)

    def remove_from_view(self, dataset_id: str) -> None:
        self.datasets = ",".join(i for i in self.combined_ids() if i != dataset_id)

    def quicklook_params(self) -> dict[str, str]:
        """The URL parameters of the drawn quicklook (selection and colours, no dataset)."""
        query = self.query().replace(color=self.color, cmap=self.cmap or "auto")
        params = query.to_params()
        if self.lang != "en":  # the image's labels in the page's language
            params["lang"] = self.lang
        return params

    def apply_params(self, params: Mapping[str, Any]) -> Query:
        """Set the state from URL parameters through :func:`parse_query` (strict: raises
        :class:`~portal.errors.BadParameter`); returns the parsed Query."""
        query = parse_query(params)
        self.param.update(
            dataset=query.dataset or "", datasets=",".join(query.datasets),
            kind=query.kind or "", var=query.variable or "",
            time=query.time, at=query.to_params().get("at", ""), depth=query.depth, bbox=query.bbox, qc=query.qc,
            color=query.color, cmap=query.cmap)
        return query

    def style(self, width: int = 900, height: int = 520, interactive: bool = True) -> Style:
        return Style(cmap=self.cmap or "auto", color_by=self.color, width=width, height=height,
                     interactive=interactive, lang=self.lang)

    def sync_url(self) -> None:
        """Two-way sync with the browser's query string (only inside a server session).

        A session built when its websocket reached another process than the page's
        (``serve --num-procs``) has the websocket's location, without the page's query:
        the page's parameters, which the session's arguments hold (from its token), are
        put in it first; else the state would follow an empty query (the landing page)."""
        import panel as pn

        location = pn.state.location
        if location is None:
            return
        if not location.search:
            location.search = page_search(pn.state.session_args or {})
        location.sync(self, {k: k for k in URL_KEYS})


def page_search(arguments: Mapping[str, Any]) -> str:
    """The query string (``?…``, or '') of a session's arguments, Bokeh's own left out."""
    import urllib.parse

    pairs = [(key, param_value(arguments, key)) for key in arguments
             if not key.startswith("bokeh-")]
    return f"?{urllib.parse.urlencode(pairs)}" if pairs else ""
