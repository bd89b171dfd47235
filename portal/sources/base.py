"""The source contract (modelled on xarray's ``BackendEntrypoint``) and its registry.

A :class:`Source` adapter declares its ``name`` (the catalog's ``driver``), its
typed argument schema (:mod:`portal.sources.arguments`), ``guess_can_open`` and
``args_for_path`` (what ``catalog scan`` writes), ``validate`` (what ``catalog
validate`` reports), the quicklook ``kinds`` it offers, ``open`` (a lazy
``xarray.Dataset`` in CF form), ``version`` (a data-version token every cache keys on)
and ``subsets_on_server`` (whether ``open`` depends on the query).
Sources too large to open, such as the point store, also implement the
:class:`AggregatingSource` contract: ``aggregator`` returns an :class:`Aggregator`
that draws canvases and bounded samples. Adapters register by name when their
module is imported; :func:`get_source` imports the built-in ones on first use and
answers an unknown name with a did-you-mean message.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from portal.errors import CatalogError
from portal.model import DatasetEntry
from portal.processing.tsvars import find_ts
from portal.sources.arguments import Argument, check_arguments, did_you_mean, resolve_path

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query

_BUILTIN = {
    "netcdf": "portal.sources.netcdf",
    "odv": "portal.sources.odv",
    "pointstore": "portal.sources.pointstore",
    "erddap": "portal.sources.erddap",
    "opendap": "portal.sources.opendap",
}
# Adapter classes by name: filled once at import time, read-only afterwards.
_REGISTRY: dict[str, type[Source[Any]]] = {}

#: Quicklook kinds that suit each featureType, the default first.
KINDS_BY_FEATURE: dict[str, tuple[str, ...]] = {
    "grid": ("map",),
    "profile": ("map", "profile", "ts", "section", "timedepth", "linked"),
    "trajectoryProfile": ("map", "profile", "ts", "section", "timedepth", "linked"),
    "timeSeries": ("timeseries", "map", "timedepth"),
    "timeSeriesProfile": ("timeseries", "profile", "map", "ts", "timedepth"),
    "trajectory": ("map", "timeseries", "profile", "ts", "section", "timedepth", "linked"),
    "point": ("map",),
    "metadata": (),
}

#: kinds drawn against depth: none for data without vertical extent
VERTICAL_KINDS = ("profile", "section", "timedepth", "linked")

OpenT = TypeVar("OpenT")


def kinds_for(feature_type: str) -> tuple[str, ...]:
    """Quicklook kinds that apply to a featureType, the default first."""
    return KINDS_BY_FEATURE.get(feature_type, ("map",))


def _has_ts(entry: DatasetEntry) -> bool:
    """Whether the catalog lists a temperature and a salinity that hold data, in units the
    T-S diagram reads (or lists no variables): the builder's own finder judges."""
    if not entry.variables:
        return True
    found, _ = find_ts((v.name, {"standard_name": v.standard_name, "long_name": v.long_name,
                                 "units": v.units}) for v in entry.variables)
    return found is not None


def _few_positions(entry: DatasetEntry, most: int = 3) -> bool:
    """True when the entry's data sit at ``most`` positions or fewer (the scan's count, or a
    bbox reduced to a point)."""
    positions = dict(entry.extra).get("positions")
    if isinstance(positions, int):
        return positions <= most
    bbox = entry.bbox
    return bbox is not None and bbox[0] == bbox[2] and bbox[1] == bbox[3]


def _tiny_extent(entry: DatasetEntry, most_deg: float = 0.05) -> bool:
    """True when the entry's bbox spans under ``most_deg`` (about 5 km) both ways: on a
    map its samples are one blob (a glider's single dive), however many there are."""
    bbox = entry.bbox
    return bbox is not None and bbox[2] - bbox[0] < most_deg and bbox[3] - bbox[1] < most_deg


@dataclass(frozen=True)
class Refusal:
    """Why an adapter that claims a file's suffix cannot open it."""

    reason: str
    #: False for an ordinary non-data file (the scan logs it at INFO, not WARNING)
    notable: bool = True


class Source(Generic[OpenT]):
    """Base class of source adapters; ``open`` returns an ``OpenT`` (an ``xr.Dataset``).

    Subclasses set ``name`` and ``arguments`` and implement :meth:`open`; local-file
    adapters also implement :meth:`guess_can_open`. ``query`` lets remote sources
    subset on the server; local ones may ignore it.
    """

    name: ClassVar[str] = ""
    arguments: ClassVar[tuple[Argument, ...]] = ()
    #: file suffixes the adapter claims (used for ids and skip reasons by the scan)
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: what the scan says it reads through this adapter ('' for remote sources)
    reads: ClassVar[str] = ""
    #: True when ``open`` depends on the query (the server subsets): caches key on it too
    subsets_on_server: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    # -- scanning
    def guess_can_open(self, path: str) -> bool:
        """True when this adapter reads the local file or folder ``path``."""
        return False

    def refusal(self, path: str) -> Refusal | None:
        """Why a file with one of ``suffixes`` is not for this adapter (None: no opinion)."""
        return None

    def args_for_path(self, path: str) -> dict[str, Any]:
        """The catalog arguments of a dataset at ``path`` (its first path argument)."""
        first = next((a.name for a in self.arguments if a.path), None)
        if first is None:
            raise NotImplementedError(f"driver {self.name!r} does not open local paths")
        return {first: os.path.abspath(path)}

    def open_path(self, path: str, dataset_id: str) -> OpenT:
        """Open ``path`` to describe it (scan); by default as the entry it becomes."""

        entry = DatasetEntry.from_metadata(dataset_id, self.name, self.args_for_path(path), {})
        return self.open(entry)

    # -- validating
    def validate(self, entry: DatasetEntry, catalog_dir: str | None = None) -> list[str]:
        """Every problem of the entry's arguments (schema, then what they point to)."""
        args = entry.arguments
        problems = check_arguments(self.arguments, args, self.name)
        return problems + self.check(args, catalog_dir or os.getcwd())

    def check(self, arguments: dict[str, Any], catalog_dir: str) -> list[str]:
        """Adapter-specific checks of schema-valid arguments (files exist...)."""
        return []

    # -- using
    def kinds(self, entry: DatasetEntry) -> tuple[str, ...]:
        """Quicklook kinds offered: no profile view of a series without vertical extent."""
        kinds = kinds_for(entry.feature_type)
        vcov = entry.vertical_coverage
        flat = vcov is None or (vcov[1] - vcov[0]) <= 1e-6
        if entry.feature_type in ("trajectory", "timeSeries", "timeSeriesProfile") and flat:
            kinds = tuple(k for k in kinds if k not in VERTICAL_KINDS)
        if not _has_ts(entry):
            kinds = tuple(k for k in kinds if k != "ts")
        if entry.feature_type == "timeSeries" and (vcov is None or vcov[1] - vcov[0] < 20):
            # one sensor moving with the tide is no time-depth section
            kinds = tuple(k for k in kinds if k != "timedepth")
        if entry.feature_type in ("profile", "trajectoryProfile") and _few_positions(entry):
            kinds = tuple(k for k in kinds if k not in ("section", "timedepth"))
        if "profile" in kinds and (
                (entry.feature_type in ("profile", "trajectoryProfile") and _few_positions(entry))
                or (entry.feature_type == "trajectory" and _tiny_extent(entry))):
            # one dot on a map shows nothing of a profile (nor of a glider's single dive)
            kinds = ("profile", *(k for k in kinds if k != "profile"))
        return kinds

    def open(self, entry: DatasetEntry, query: Query | None = None) -> OpenT:
        raise NotImplementedError

    def version(self, entry: DatasetEntry) -> str:
        """A token that changes when the data change; by default the ``remote_ttl_s`` bucket.

        Every data and image cache puts it in its keys (see :mod:`portal.sources.versioning`).
        """
        from portal.sources.versioning import time_bucket

        return f"t-{time_bucket()}"

    def probe_url(self, entry: DatasetEntry) -> str | None:
        """A cheap URL telling whether the entry's server answers (None: local data)."""
        return None


class FileSource(Source["xr.Dataset"]):
    """Local files named by ``urlpath`` (a path, a list or a glob pattern)."""

    arguments = (Argument("urlpath", (str, list), required=True, path=True,
                          doc="the data file, a list of files or a glob pattern"),)

    def paths(self, entry: DatasetEntry) -> list[str]:
        from portal.formats.netcdf import expand_paths

        return list(expand_paths(entry.arguments.get("urlpath", "")))

    def check(self, arguments: dict[str, Any], catalog_dir: str) -> list[str]:
        import glob

        urlpath = arguments.get("urlpath")
        problems = []
        for item in urlpath if isinstance(urlpath, list) else [urlpath]:
            local = str(resolve_path(str(item), catalog_dir))
            if "://" in local:
                continue
            if glob.has_magic(local):
                if not glob.glob(local):
                    problems.append(f"no file matches {item!r} (pattern {local})")
            elif not os.path.isfile(local):
                problems.append(f"file not found: {local} (urlpath {item!r})")
        return problems

    def version(self, entry: DatasetEntry) -> str:
        """Each matching file's path, size, mtime and inode (see ``files_version``)."""
        from portal.sources.versioning import files_version

        return files_version(entry.arguments.get("urlpath", ""))


class Aggregator(Protocol):
    """What an aggregating source opens: canvases and bounded samples, never all rows."""

    def info(self) -> dict[str, Any]: ...

    def aggregate(self, query: Query | None = None, **canvas: Any) -> xr.DataArray: ...

    def aggregate_stats(self, query: Query | None = None, **canvas: Any) -> xr.Dataset: ...

    def profile_density(self, query: Query | None = None, **canvas: Any) -> xr.DataArray: ...

    def observations(self, query: Query | None = None, max_points: int = 1_000_000,
                     platform: bool = True) -> xr.Dataset: ...

    def with_scheduler(self, scheduler: str | None) -> Aggregator: ...


class AggregatingSource(Source["xr.Dataset"]):
    """Second contract: a source aggregated per view (map canvas, profile density).

    ``open`` gives a bounded sample of observations (so plain Intake and xarray users
    still get a Dataset); quicklooks ask :meth:`aggregator` instead.
    """

    max_sample: ClassVar[int] = 1_000_000

    def aggregator(self, entry: DatasetEntry) -> Aggregator:
        raise NotImplementedError

    def metadata(self, entry: DatasetEntry) -> dict[str, Any]:
        """The catalog metadata block the source describes itself with."""
        return {}

    def observations(self, entry: DatasetEntry, query: Query | None = None,
                     max_points: int | None = None) -> xr.Dataset:
        return self.aggregator(entry).observations(query, max_points or self.max_sample)

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        return self.observations(entry, query)

    def kinds(self, entry: DatasetEntry) -> tuple[str, ...]:
        kinds = ("map", "profile", "ts")  # counts/means per pixel, profile density, T-S
        return kinds if _has_ts(entry) else kinds[:2]


def registered() -> tuple[str, ...]:
    """All known source names (built-in ones included, imported or not)."""
    return tuple(sorted(set(_BUILTIN) | set(_REGISTRY)))


def get_source(name: str, dataset: str | None = None) -> Source[Any]:
    """An adapter instance for ``name``; CatalogError with a suggestion if unknown."""
    if name not in _REGISTRY and name in _BUILTIN:
        try:
            importlib.import_module(_BUILTIN[name])
        except ImportError as exc:
            raise CatalogError(
                f"source type {name!r} needs a missing dependency ({exc.name})",
                dataset=dataset, hint="install the portal with its dependencies: pip install -e .",
            ) from exc
    if name not in _REGISTRY:
        close = did_you_mean(str(name), registered()).removeprefix(" — ")
        hint = close or f"known types: {', '.join(registered())}"
        raise CatalogError(f"unknown source type {name!r}", dataset=dataset, hint=hint)
    return _REGISTRY[name]()
