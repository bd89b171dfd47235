"""Several datasets on one view: the layers of a combined map, time series or profile.

A combined view (``datasets=ID1,ID2&kind=…``) draws two to five catalog entries of any
source kind with one shared :class:`~portal.query.Query` selection (time, depth, bbox,
QC). :func:`resolve_entries` checks the ids against the catalog (unknown ones: one 404
naming them all); :func:`choose_variables` picks each dataset's variable — the one
``var=ID:VAR`` names, else the kind most datasets share (CF standard name / EOV through
:func:`portal.vocab.eov_for`); :func:`portal.pipeline.load_layers` loads each through the
one pipeline (point stores by their aggregate on a map, their profile density or time
bins on the other axes: :mod:`portal.overlay_store`) into one :class:`Layer` per dataset with its
legend colour and marker from a fixed qualitative palette (:func:`new_layer`). A dataset that fails keeps its layer, with the reason in its legend entry; the
others still draw. :func:`harmonise` converts values (and profile depths) to a common
unit when they agree in kind (:mod:`portal.processing.units`). Drawing is
:mod:`portal.quicklooks.overlay`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from portal.errors import DatasetNotFound, UnsupportedQuicklook
from portal.query import Query
from portal.vocab import eov_for

if TYPE_CHECKING:
    from portal.model import DatasetEntry, VariableInfo

#: Okabe–Ito colours (colour-blind safe) and markers, one per dataset in list order
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
MARKERS = ("circle", "square", "triangle", "diamond", "inverted_triangle")
LEGEND_TITLE_CHARS, LEGEND_INSTITUTION_CHARS = 44, 20
MPL_MARKERS = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D",
               "inverted_triangle": "v"}


@dataclass(frozen=True, eq=False)
class Layer:
    """One dataset of a combined view: what to draw and its legend entry."""

    id: str
    title: str
    institution: str = ""
    colour: str = PALETTE[0]
    marker: str = MARKERS[0]
    variable: str = ""
    units: str = ""
    long_name: str = ""
    feature_type: str = ""
    data: Any = None  # a View's data (grid DataArray or observations), or an aggregate
    aggregated: bool = False
    error: str = ""
    citation: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.data is not None

    @property
    def legend(self) -> str:
        """The legend text: title (institution), variable — or why it did not draw —
        shortened to fit a legend beside the plot."""
        head = _short(self.title, LEGEND_TITLE_CHARS)
        if self.institution:
            head += f" ({_short(self.institution, LEGEND_INSTITUTION_CHARS)})"
        if self.error:
            return f"{head} — not drawn: {_short(self.error, 90)}"
        return f"{head} — {self.variable}" if self.variable else head

    @property
    def axis_label(self) -> str:
        name = self.long_name or self.variable
        return f"{name} [{self.units}]" if self.units else name


def _short(text: str, most: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def resolve_entries(catalog, ids: tuple[str, ...]) -> list[DatasetEntry]:
    """The catalog entries of ``ids``; unknown ids raise one 404 naming them all."""
    entries, unknown = [], []
    for dataset_id in ids:
        try:
            entries.append(catalog[dataset_id])
        except (KeyError, DatasetNotFound):
            unknown.append(dataset_id)
    if unknown:
        raise DatasetNotFound(f"unknown dataset id(s): {', '.join(unknown)}",
                              hint="see /api/datasets for the catalog's ids")
    if not entries:
        raise UnsupportedQuicklook("a combined view needs datasets=ID1,ID2")
    return entries


def family(var: VariableInfo) -> str:
    """What a variable measures, whatever the level: ``temperature`` for SST and for a
    subsurface temperature (EOV without its level), else the standard name or name."""
    eov = var.eov or eov_for(var.standard_name, var.name, var.long_name)
    for level in ("Sea surface ", "Subsurface "):
        eov = eov.removeprefix(level)
    return (eov or var.standard_name or var.name).lower()


def choose_variables(entries: list[DatasetEntry], query: Query) -> dict[str, str | None]:
    """Each dataset's variable: ``var=ID:VAR`` when given, else one of the kind most
    datasets share (first dataset's order breaks ties), else the dataset's main one."""
    families = [[family(v) for v in e.variables] for e in entries]
    counts = Counter(f for fams in families for f in dict.fromkeys(fams))
    order = [f for fams in families for f in fams]
    shared = max(order, key=lambda f: (counts[f], -order.index(f)), default=None)
    chosen: dict[str, str | None] = {}
    for entry, fams in zip(entries, families, strict=True):
        named = query.variable_for(entry.id)
        if named is None and shared in fams:
            named = entry.variables[fams.index(shared)].name
        chosen[entry.id] = named
    return chosen


def new_layer(entry: DatasetEntry, index: int) -> Layer:
    """The empty layer of the ``index``-th dataset: legend text, colour, marker, citation."""
    return Layer(entry.id, entry.title or entry.id, entry.institution,
                 PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)],
                 citation=citation_text(entry))


def citation_text(entry: DatasetEntry, lang: str = "en") -> str:
    """The layer's recommended citation as text ('' when it cannot be made)."""
    try:
        from portal.catalog.citation import citation_of

        return citation_of(entry).text(lang)
    except Exception:  # noqa: BLE001 - a citation is a courtesy: never fail a layer for it
        return ""


@dataclass(frozen=True, eq=False)
class Combined:
    """The layers of a combined view and the units they share (None: they differ in kind,
    draw separate axes)."""

    layers: list[Layer]
    kind: str
    unit: str | None = None
    z_unit: str | None = None

    @property
    def drawn(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.ok]


def _values_in(layer: Layer, unit: str) -> Layer:
    from portal.processing.units import convert, same_unit

    if same_unit(layer.units, unit):
        return replace(layer, units=unit)
    data = layer.data
    if layer.feature_type == "profileDensity":  # a point store's density: values on x
        x = convert(data.x.values, layer.units, unit)
        return replace(layer, data=data.assign_coords(x=data.x.copy(data=x)), units=unit)
    if layer.feature_type == "grid":
        values = convert(data.values, layer.units, unit)
        data = data.copy(data=values.astype(data.dtype)).assign_attrs(units=unit)
    else:
        column = data[layer.variable]
        values = convert(column.values, layer.units, unit)
        data = data.assign({layer.variable: column.copy(data=values).assign_attrs(units=unit)})
        for band in ("vmin", "vmax"):  # a point store's time bins: the min–max band too
            if band in data:
                data = data.assign({band: data[band].copy(
                    data=convert(data[band].values, layer.units, unit))})
    return replace(layer, data=data, units=unit)


def _depths_in(layer: Layer, unit: str) -> Layer:
    from portal.processing.units import convert

    z = layer.data.z
    values = convert(z.values, str(z.attrs.get("units", "m")), unit,
                     latitude=layer.data.latitude.values)
    name = "Pressure" if unit == "dbar" else "Depth"
    return replace(layer, data=layer.data.assign_coords(
        z=z.copy(data=values).assign_attrs(units=unit, long_name=name)))


def harmonise(layers: list[Layer], kind: str) -> Combined:
    """Values in a common unit where the layers agree in kind (°C/K, psu/PSS-78, …);
    profile depths (m) and pressures (dbar) on one vertical axis (TEOS-10)."""
    from portal.processing.units import common_unit

    values = [layer for layer in layers if layer.ok and (not layer.aggregated or (
        layer.feature_type in ("profileDensity", "timeBinned") and layer.units))]
    unit = common_unit([layer.units for layer in values]) if values else None
    if unit is not None:
        ids = {layer.id for layer in values}
        layers = [_values_in(layer, unit) if layer.id in ids else layer for layer in layers]
    z_unit = None
    if kind == "profile":
        with_z = [layer for layer in layers if layer.ok and "z" in layer.data.coords]
        z_unit = common_unit([str(ly.data.z.attrs.get("units", "m")) for ly in with_z])
        if z_unit is not None:
            ids = {layer.id for layer in with_z}
            layers = [_depths_in(ly, z_unit) if ly.id in ids else ly for ly in layers]
    return Combined(layers, kind, unit, z_unit)
