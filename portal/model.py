"""Frozen records describing datasets and the selection a user asks for.

:class:`DatasetEntry` is what a catalog entry becomes once loaded: where the data
are (``source`` type and its ``args``) and the portal's metadata block (title,
institution, licence, featureType, variables, coverage...). The request a user
makes (:class:`~portal.query.Query`) lives in :mod:`portal.query` and is re-exported
here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# the query lives in portal.query; re-exported here for the code that imports it from the model
from portal.query import QC_PRESETS, QUICKLOOK_KINDS, Query  # noqa: F401

FEATURE_TYPES = (
    "grid",
    "profile",
    "timeSeries",
    "trajectory",
    "timeSeriesProfile",
    "trajectoryProfile",
    "point",
    "metadata",
)


class _Frozen(tuple):
    """A frozen container that remembers what it was: equal only to the same kind."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}{tuple.__repr__(self)}"


class FrozenDict(_Frozen):
    """A dict as sorted ``(key, value)`` pairs (hashable; thaws back to a dict)."""

    __slots__ = ()


class FrozenList(_Frozen):
    """A list as a tuple (hashable; thaws back to a list)."""

    __slots__ = ()


class FrozenSet(_Frozen):
    """A set as its sorted members (hashable; thaws back to a set)."""

    __slots__ = ()


def _order(value: Any) -> tuple[str, str]:
    return (type(value).__name__, repr(value))


def _box(value: Any) -> tuple[float, float, float, float]:
    """(W, S, E, N) floats from a catalog's four numbers (validated when the catalog loads)."""
    west, south, east, north = (float(x) for x in value)
    return west, south, east, north


def _freeze(value: Any) -> Any:
    """A hashable copy of ``value`` that :func:`_thaw` turns back into an equal value.

    Dicts, lists and sets become :class:`FrozenDict`, :class:`FrozenList` and
    :class:`FrozenSet` (dict keys and set members sorted, so equal values freeze equal);
    tuples stay tuples of frozen items; other values are kept."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _order(kv[0]))
        return FrozenDict((k, _freeze(v)) for k, v in items)
    if isinstance(value, list):
        return FrozenList(_freeze(v) for v in value)
    if isinstance(value, set):
        return FrozenSet(sorted((_freeze(v) for v in value), key=_order))
    if isinstance(value, tuple) and not isinstance(value, _Frozen):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    """The plain value :func:`_freeze` made ``value`` from (dicts, lists, sets, tuples)."""
    if isinstance(value, FrozenDict):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, FrozenList):
        return [_thaw(v) for v in value]
    if isinstance(value, FrozenSet):
        return {_thaw(v) for v in value}
    if isinstance(value, tuple):
        return tuple(_thaw(v) for v in value)
    return value


@dataclass(frozen=True)
class VariableInfo:
    """One variable of a dataset as the catalog describes it."""

    name: str
    long_name: str = ""
    standard_name: str = ""
    units: str = ""
    qc: str = ""
    eov: str = ""

    @property
    def label(self) -> str:
        """Human label: long name (or name) with units."""
        text = self.long_name or self.name
        return f"{text} [{self.units}]" if self.units else text

    def to_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VariableInfo:
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in known and v is not None})


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset of a catalog: where it is and what it holds."""

    id: str
    source: str
    args: tuple = ()
    title: str = ""
    summary: str = ""
    institution: str = ""
    license: str = ""
    doi: str = ""
    feature_type: str = "point"
    platform: str = ""
    variables: tuple[VariableInfo, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    time_coverage: tuple[str, str] | None = None
    vertical_coverage: tuple[float, float] | None = None
    extra: tuple = field(default=(), compare=False)

    @property
    def arguments(self) -> dict[str, Any]:
        """The source arguments as a plain dict (paths, engine, url...)."""
        return _thaw(self.args) if self.args else {}

    @property
    def main_variable(self) -> VariableInfo | None:
        return self.variables[0] if self.variables else None

    def variable(self, name: str) -> VariableInfo | None:
        for var in self.variables:
            if var.name == name:
                return var
        return None

    def metadata(self) -> dict[str, Any]:
        """The portal's metadata block, as written in catalogs."""
        meta: dict[str, Any] = {
            "title": self.title,
            "summary": self.summary,
            "institution": self.institution,
            "license": self.license,
            "doi": self.doi,
            "featureType": self.feature_type,
            "platform_type": self.platform,
            "variables": [v.to_dict() for v in self.variables],
        }
        if self.bbox:
            meta["bbox"] = [float(x) for x in self.bbox]
        if self.time_coverage:
            meta["time_coverage"] = list(self.time_coverage)
        if self.vertical_coverage:
            meta["vertical_coverage"] = [float(x) for x in self.vertical_coverage]
        meta.update(_thaw(self.extra) if self.extra else {})
        return {k: v for k, v in meta.items() if v not in ("", [], None)}

    @classmethod
    def from_metadata(
        cls, id: str, source: str, args: dict[str, Any], meta: dict[str, Any]
    ) -> DatasetEntry:
        """Build an entry from a catalog metadata block (unknown keys kept in ``extra``)."""
        known = {
            "title", "summary", "institution", "license", "doi", "featureType",
            "platform_type", "variables", "bbox", "time_coverage", "vertical_coverage",
        }
        variables = tuple(
            VariableInfo.from_dict(v) if isinstance(v, dict) else VariableInfo(name=str(v))
            for v in meta.get("variables") or []
        )
        bbox = meta.get("bbox")
        tcov = meta.get("time_coverage")
        vcov = meta.get("vertical_coverage")
        return cls(
            id=id,
            source=source,
            args=_freeze(args),
            title=str(meta.get("title") or id),
            summary=str(meta.get("summary") or ""),
            institution=str(meta.get("institution") or ""),
            license=str(meta.get("license") or ""),
            doi=str(meta.get("doi") or ""),
            feature_type=str(meta.get("featureType") or "point"),
            platform=str(meta.get("platform_type") or ""),
            variables=variables,
            bbox=_box(bbox) if bbox else None,
            time_coverage=(str(tcov[0]), str(tcov[1])) if tcov else None,
            vertical_coverage=(float(vcov[0]), float(vcov[1])) if vcov else None,
            extra=_freeze({k: v for k, v in meta.items() if k not in known}),
        )
