"""Read and write Intake catalogs (native Intake 2 YAML) as :class:`DatasetEntry` records.

This is the only module of the portal that imports Intake. A catalog entry names
the portal reader and its ``driver`` (netcdf, odv, erddap, opendap, pointstore),
the driver's arguments, and the portal's metadata block::

    version: 2
    aliases: {}
    data: {}
    metadata: {title: My catalog}
    user_parameters: {}
    entries:
      argo_6901744:
        reader: portal.catalog.readers:PortalReader
        output_instance: xarray:Dataset
        kwargs: {driver: netcdf, urlpath: '{CATALOG_DIR}/data/6901744_prof.nc'}
        metadata: {title: ..., featureType: profile, variables: [...]}
        user_parameters: {}

Entries written for Intake's own ``XArrayDatasetReader`` are accepted too (local
paths become ``netcdf``, http(s) URLs ``opendap``). ``{CATALOG_DIR}`` and relative
paths are resolved against the catalog file's folder.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from portal.errors import CatalogError, DatasetNotFound
from portal.model import DatasetEntry

log = logging.getLogger(__name__)

PORTAL_READER = "portal.catalog.readers:PortalReader"
XARRAY_READER = "intake.readers.readers:XArrayDatasetReader"


@dataclass
class Catalog:
    """Datasets of one or more catalog files, by id, in catalog order."""

    entries: dict[str, DatasetEntry] = field(default_factory=dict)
    title: str = ""
    files: tuple[str, ...] = ()
    skipped: list[str] = field(default_factory=list)  # why broken entries were left out

    def __getitem__(self, dataset_id: str) -> DatasetEntry:
        try:
            return self.entries[dataset_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(dataset_id, list(self.entries), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see /api/datasets for ids"
            raise DatasetNotFound(f"unknown dataset id {dataset_id!r}", hint=hint) from None

    def __contains__(self, dataset_id: str) -> bool:
        return dataset_id in self.entries

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


def _resolve(value, catalog_dir: str):
    from portal.sources.arguments import resolve_path

    return resolve_path(value, catalog_dir)


def _path_arguments(driver: str, dataset_id: str | None = None) -> set[str]:
    """Names of the driver's local-path arguments; CatalogError (did-you-mean) if unknown."""
    from portal.sources import get_source

    return {a.name for a in get_source(driver, dataset=dataset_id).arguments if a.path}


def _data_url(cat, ref) -> str | None:
    """URL of an Intake data description referenced as '{data(key)}'."""
    if isinstance(ref, str) and ref.startswith("{data(") and ref.endswith(")}"):
        key = ref[len("{data("):-2]
        desc = cat.data.get(key)
        return desc.kwargs.get("url") if desc is not None else None
    return ref if isinstance(ref, str) else None


def _entry_args(cat, desc, dataset_id: str, catalog_dir: str) -> tuple[str, dict]:
    reader = str(desc.reader)
    kwargs = dict(desc.kwargs)
    if reader == PORTAL_READER:
        driver = kwargs.pop("driver", None)
        if not driver:
            raise CatalogError("entry has no 'driver' in its kwargs", dataset=dataset_id,
                               hint="add driver: netcdf (or odv, erddap, opendap, pointstore)")
        for key in _path_arguments(str(driver), dataset_id) & set(kwargs):
            kwargs[key] = _resolve(kwargs[key], catalog_dir)
        return str(driver), kwargs
    if reader == XARRAY_READER:
        url = _data_url(cat, (kwargs.pop("args", None) or [None])[0]) or kwargs.pop("url", None)
        if not url:
            raise CatalogError("XArrayDatasetReader entry without a data URL", dataset=dataset_id)
        url = _resolve(url, catalog_dir)
        if isinstance(url, str) and url.startswith(("http://", "https://", "dap2://")):
            return "opendap", {"url": url, **kwargs}
        return "netcdf", {"urlpath": url}
    raise CatalogError(f"reader {reader!r} is not supported by the portal", dataset=dataset_id,
                       hint=f"use reader: {PORTAL_READER} with a driver")


def load_catalog(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> Catalog:
    """Load one or more catalog files; a broken entry is logged and skipped.

    Raises :class:`CatalogError` when a file itself cannot be read.
    """
    import intake

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    result = Catalog()
    for path in paths:
        path = os.path.abspath(os.fspath(path))
        try:
            cat = intake.from_yaml_file(path)
        except FileNotFoundError as exc:
            raise CatalogError(f"catalog file not found: {path}") from exc
        except Exception as exc:  # noqa: BLE001 - YAML or Intake errors, reported with the file
            raise CatalogError(f"cannot load catalog {path}: {exc}",
                               hint="run 'odatis-portal catalog validate' on it") from exc
        result.files += (path,)
        result.title = result.title or str((cat.metadata or {}).get("title", ""))
        catalog_dir = os.path.dirname(path)
        for dataset_id, desc in cat.entries.items():
            try:
                driver, args = _entry_args(cat, desc, dataset_id, catalog_dir)
                entry = DatasetEntry.from_metadata(dataset_id, driver, args, dict(desc.metadata))
            except CatalogError as exc:
                log.error("catalog %s: %s", path, exc)
                result.skipped.append(f"{os.path.basename(path)}: {exc}")
                continue
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                log.error("catalog %s: entry %r skipped: bad metadata (%s); run "
                          "'odatis-portal catalog validate %s'", path, dataset_id, exc, path)
                result.skipped.append(f"{os.path.basename(path)}: entry {dataset_id!r} "
                                      f"skipped: bad metadata ({type(exc).__name__})")
                continue
            if dataset_id in result.entries:
                log.warning("catalog %s: dataset id %r defined twice; keeping the first",
                            path, dataset_id)
                continue
            result.entries[dataset_id] = entry
    return result


def _portable(value, catalog_dir: str):
    if isinstance(value, list):
        return [_portable(v, catalog_dir) for v in value]
    if isinstance(value, str) and os.path.isabs(value):
        rel = os.path.relpath(value, catalog_dir)
        return value if rel.startswith("..") else "{CATALOG_DIR}/" + rel
    return value


def write_catalog(entries: Iterable[DatasetEntry], path: str | os.PathLike, title: str = "",
                  description: str = "", metadata: dict | None = None) -> str:
    """Write entries as a native Intake 2 YAML catalog; local paths relative to it."""
    import intake

    from portal.catalog.readers import PortalReader

    path = os.path.abspath(os.fspath(path))
    catalog_dir = os.path.dirname(path)
    os.makedirs(catalog_dir, exist_ok=True)
    meta: dict = {"title": title} if title else {}
    if description:
        meta["description"] = description
    meta.update(metadata or {})
    cat = intake.entry.Catalog(metadata=meta)
    for entry in entries:
        kwargs = {"driver": entry.source}
        paths = _path_arguments(entry.source, entry.id)
        for key, value in entry.arguments.items():
            kwargs[key] = _portable(value, catalog_dir) if key in paths else value
        cat[entry.id] = PortalReader(metadata=entry.metadata(), **kwargs)
    cat.to_yaml_file(path)
    return path
