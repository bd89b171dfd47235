"""Frozen records describing datasets and the selection a user asks for.

:class:`DatasetEntry` is what a catalog entry becomes once loaded: where the data
are (``source`` type and its ``args``) and the portal's metadata block (title,
institution, licence, featureType, variables, coverage...). :class:`Query` is a
selection (variable, time, depth, bbox, QC preset); it is hashable and, with the
entry id, is the cache key of every quicklook.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

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
QC_PRESETS = ("auto", "good", "good_probably", "all")
#: what ``auto`` means: "good_probably" for flagged data (unless the entry sets
#: ``qc_default``), "all" for data without flags.
QC_AUTO = "auto"
QUICKLOOK_KINDS = ("map", "profile", "timeseries")


def _freeze(value: Any) -> Any:
    """Turn dicts/lists into hashable tuples, recursively."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and value and all(
        isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value
    ):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
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
            bbox=tuple(float(x) for x in bbox) if bbox else None,
            time_coverage=(str(tcov[0]), str(tcov[1])) if tcov else None,
            vertical_coverage=(float(vcov[0]), float(vcov[1])) if vcov else None,
            extra=_freeze({k: v for k, v in meta.items() if k not in known}),
        )


@dataclass(frozen=True)
class Query:
    """A selection within a dataset; hashable, part of every cache key.

    Times are ISO-8601 strings (``None`` = open end), depths in the dataset's
    vertical unit (metres or decibars, positive down), bbox as (W, S, E, N).
    """

    variable: str | None = None
    time: tuple[str | None, str | None] | None = None
    depth: tuple[float | None, float | None] | None = None
    bbox: tuple[float, float, float, float] | None = None
    qc: str = "auto"

    def __post_init__(self) -> None:
        if self.qc not in QC_PRESETS:
            raise ValueError(f"unknown QC preset {self.qc!r}; use one of {', '.join(QC_PRESETS)}")
