"""Scan a folder of ocean data files and describe each usable one as a catalog entry.

:func:`scan_folder` walks a directory and recognises NetCDF files (CF/DSG by
featureType, cdm_data_type and structure; the Argo GDAC formats: single and
multi-profile, BGC synthetic, trajectory and metadata files; grids), ODV
spreadsheet text files and point-store folders (a directory holding a
``_portal_store.json`` marker). One file (or store) gives one dataset; its
metadata come from the data themselves (see :mod:`portal.cataloging.describe`).
Files the portal cannot use land in :attr:`ScanResult.skipped` with a reason a
user can act on and a refusal kind from an enumerated set
(:mod:`portal.cataloging.refusals`; links leaving the folder are refused unread), and the
scan goes on. ``run_scan`` is the ``catalog scan`` command.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portal.cataloging.refusals import classify, outside_folder, skip_with
from portal.errors import PortalError
from portal.model import DatasetEntry
from portal.text import one_line

if TYPE_CHECKING:
    import argparse


log = logging.getLogger(__name__)



class ScanSkip(PortalError):
    """A file or folder the scan cannot turn into a dataset (the message says why)."""


class NotDataFile(ScanSkip):
    """A file of a type the scan does not read (notes, JSON, HTML...): logged at INFO only."""


@dataclass
class ScanResult:
    """Datasets found by a scan, and the files left out with the reason why."""

    entries: list[DatasetEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: path -> refusal kind of each skipped file (see :mod:`portal.cataloging.refusals`)
    kinds: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- scan


def scan_folder(root: str, recursive: bool = True, isolate: bool = False) -> ScanResult:
    """Describe every usable file (or point store) under ``root``; never stops on one file.

    With ``isolate`` (``catalog scan`` sets it) each file is read in a child process
    bounded in memory and time (:mod:`portal.cataloging.worker`): a file that stalls
    or kills its reader is skipped with the reason.
    """
    import contextlib

    from portal.cataloging.worker import IsolatedReader

    with IsolatedReader() if isolate else contextlib.nullcontext() as reader:
        return _scan(root, recursive, reader.describe if reader else describe_file)


def _scan(root: str, recursive: bool, describe) -> ScanResult:
    root = os.path.abspath(os.fspath(root))
    if not os.path.isdir(root):
        raise ScanSkip(f"not a folder: {root}", hint="give the folder holding the data files")
    result = ScanResult()
    used: set[str] = set()
    for path in _candidates(root, recursive):
        rel = os.path.relpath(path, root) if path != root else os.path.basename(root)
        dataset_id = unique_id(slug(rel), used)
        try:
            entry = _describe_inside(root, path, dataset_id, describe)
        except PortalError as exc:
            reason = one_line(_reason(exc))
            level = logging.INFO if isinstance(exc, NotDataFile) else logging.WARNING
            log.log(level, "scan: skipped %s: %s", path, reason)
            result.skipped.append((path, reason))
            result.kinds[path] = classify(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the scan
            reason = one_line(f"unexpected error while reading it: {type(exc).__name__}: {exc}")
            log.warning("scan: skipped %s: %s", path, reason)
            log.debug("scan: traceback for %s", path, exc_info=True)
            result.skipped.append((path, reason))
            result.kinds[path] = classify(exc)
            continue
        used.add(dataset_id)
        log.info("scan: %s -> %s (%s)", one_line(rel), dataset_id, one_line(entry.feature_type))
        result.entries.append(entry)
    return result


def _describe_inside(root: str, path: str, dataset_id: str, describe) -> DatasetEntry:
    """``describe(path)``, refusing first a link that leaves ``root`` (never read)."""
    why = outside_folder(path, root)
    if why is not None:
        raise skip_with("outside-folder", ScanSkip(why))
    return describe(path, dataset_id)


def _candidates(root: str, recursive: bool):
    """Files and dataset folders (point stores) under ``root``, sorted; hidden names skipped."""
    from portal.sources import guess_source

    if guess_source(root) is not None:
        yield root
        return
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        stores = [d for d in dirs if guess_source(os.path.join(current, d)) is not None]
        dirs[:] = [d for d in dirs if d not in stores] if recursive else []
        yield from (os.path.join(current, f) for f in sorted(files) if not f.startswith("."))
        yield from (os.path.join(current, d) for d in stores)
        # links to folders are not walked; those leaving root are reported (outside-folder)
        yield from (path for d in dirs if os.path.islink(path := os.path.join(current, d))
                    and outside_folder(path, root) is not None)


def slug(rel_path: str) -> str:
    """Stable identifier from a relative path: 'argo/multiprofile/6901744_prof.nc' ->
    'argo_multiprofile_6901744_prof'."""
    from portal.sources import available_sources

    stem, ext = os.path.splitext(rel_path)
    suffixes = {s for source in available_sources() for s in source.suffixes}
    text = stem if ext.lower() in suffixes else rel_path
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "dataset"
    return f"ds_{text}" if text[0].isdigit() else text


def unique_id(base: str, used: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is not yet in ``used``."""
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _reason(exc: PortalError) -> str:
    return f"{exc.reason} — {exc.hint}" if exc.hint else exc.reason


# ------------------------------------------------------------------------------ describe


def describe_file(path: str, dataset_id: str | None = None) -> DatasetEntry:
    """The catalog entry of one file or dataset folder, metadata read from the data.

    The source adapter is the first whose ``guess_can_open`` accepts the path.
    Raises a :class:`~portal.errors.PortalError` (ScanSkip, SourceUnavailable,
    NoDataInSelection) whose message says why the file cannot be used.
    """
    from portal.cataloging.describe import describe_dataset
    from portal.sources import AggregatingSource, guess_source

    path = os.path.abspath(os.fspath(path))
    dataset_id = dataset_id or slug(os.path.basename(path.rstrip(os.sep)))
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise ScanSkip("empty file (0 bytes)")
    source = guess_source(path)
    if source is None:
        raise _refused(path)
    args = source.args_for_path(path)
    if isinstance(source, AggregatingSource):
        return _describe_aggregated(source, path, dataset_id, args)
    ds = source.open_path(path, dataset_id)
    try:
        return describe_dataset(ds, dataset_id, source.name, args, path)
    except (OSError, RuntimeError, ValueError, IndexError) as exc:
        raise ScanSkip(f"cannot read the data of {os.path.basename(path)} (truncated or corrupt "
                       f"file?): {type(exc).__name__}: {exc}") from exc
    finally:
        ds.close()


def _refused(path: str) -> ScanSkip:
    """Why no adapter opens ``path``, from the adapters that claim its suffix."""
    from portal.sources import available_sources
    from portal.sources.sniff import sniff

    sources = available_sources()
    suffix = os.path.splitext(path)[1].lower()
    for source in sources:
        claimed = os.path.isdir(path) or suffix in source.suffixes
        refusal = source.refusal(path) if claimed else None
        if refusal is not None:
            return (ScanSkip if refusal.notable else NotDataFile)(refusal.reason)
    reads = ", ".join(s.reads for s in sources if s.reads)
    kind = "folder" if os.path.isdir(path) else sniff(path)
    return NotDataFile(f"unsupported file type {suffix or '(no extension)'!r} ({kind}); the scan "
                       f"reads {reads}")


def _describe_aggregated(source, path: str, dataset_id: str, args: dict) -> DatasetEntry:
    """A dataset folder (point store): metadata from the source itself."""
    from portal.cataloging.describe import METADATA_KEYS

    meta = source.metadata(DatasetEntry.from_metadata(dataset_id, source.name, args, {}))
    meta = {k: v for k, v in meta.items() if k in METADATA_KEYS and v not in (None, "", [])}
    meta.setdefault("title", f"Point store {os.path.basename(path)}")
    meta.setdefault("summary", "Point store (columnar observation table) built by odatis-portal.")
    meta.setdefault("featureType", "point")
    return DatasetEntry.from_metadata(dataset_id, source.name, args, meta)


# ------------------------------------------------------------------------------------ CLI


def run_scan(args: argparse.Namespace) -> int:
    """``catalog scan DIR -o FILE``: print datasets and skipped files, write the catalog.

    Exit 0 when the catalog is written (even if files were skipped), 2 on a fatal problem.
    """
    from portal.catalog.loader import write_catalog

    try:
        result = scan_folder(args.dir, isolate=getattr(args, "isolate", True))
    except PortalError as exc:
        print(f"error: {exc}")
        return 2
    for entry in result.entries:
        print(f"dataset  {entry.id}  [{one_line(entry.feature_type)}]  {one_line(entry.title)}")
    for path, reason in result.skipped:
        rel = one_line(os.path.relpath(path, os.path.abspath(args.dir)))
        print(f"skipped  {rel} [{result.kinds.get(path, 'unreadable')}]: {one_line(reason)}")
    title = f"Datasets scanned from {os.path.basename(os.path.abspath(args.dir))}"
    try:
        out = write_catalog(result.entries, args.output, title=title,
                            description=f"Written by 'odatis-portal catalog scan {args.dir}'.")
    except (OSError, PortalError) as exc:
        print(f"error: cannot write {args.output}: {exc}")
        return 2
    print(f"wrote {out}: {len(result.entries)} datasets, {len(result.skipped)} files skipped")
    return 0
