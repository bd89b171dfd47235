"""Scan a folder of ocean data files and describe each usable one as a catalog entry.

:func:`scan_folder` walks a directory and recognises NetCDF files (CF/DSG by
featureType, cdm_data_type and structure; the Argo GDAC formats: single and
multi-profile, BGC synthetic, trajectory and metadata files; grids), ODV
spreadsheet text files and point-store folders (a directory holding a
``_portal_store.json`` marker). One file (or store) gives one dataset; its
metadata come from the data themselves (see :mod:`portal.cataloging.describe`).
Files the portal cannot use land in :attr:`ScanResult.skipped` with a reason a
user can act on, and the scan goes on. ``run_scan`` is the ``catalog scan`` command.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from portal.errors import PortalError
from portal.model import DatasetEntry
from portal.text import one_line

if TYPE_CHECKING:
    import argparse

    import xarray as xr

log = logging.getLogger(__name__)

NETCDF_SUFFIXES = (".nc", ".nc4", ".cdf", ".netcdf")
ODV_SUFFIXES = (".txt", ".odv", ".csv")
STORE_MARKER = "_portal_store.json"
_ODV_COMMENT_MARKERS = ("<version>odv", "sdn_parameter_mapping", "<datafield>", "<datatype>",
                        "<metavariable>", "<datavariable>", "<missingvalueindicators>")


class ScanSkip(PortalError):
    """A file or folder the scan cannot turn into a dataset (the message says why)."""


class NotDataFile(ScanSkip):
    """A file of a type the scan does not read (notes, JSON, HTML...): logged at INFO only."""


@dataclass
class ScanResult:
    """Datasets found by a scan, and the files left out with the reason why."""

    entries: list[DatasetEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


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
            entry = describe(path, dataset_id)
        except PortalError as exc:
            reason = one_line(_reason(exc))
            level = logging.INFO if isinstance(exc, NotDataFile) else logging.WARNING
            log.log(level, "scan: skipped %s: %s", path, reason)
            result.skipped.append((path, reason))
            continue
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the scan
            reason = one_line(f"unexpected error while reading it: {type(exc).__name__}: {exc}")
            log.warning("scan: skipped %s: %s", path, reason)
            log.debug("scan: traceback for %s", path, exc_info=True)
            result.skipped.append((path, reason))
            continue
        used.add(dataset_id)
        log.info("scan: %s -> %s (%s)", one_line(rel), dataset_id, one_line(entry.feature_type))
        result.entries.append(entry)
    return result


def _candidates(root: str, recursive: bool):
    """Files and point-store folders under ``root``, sorted; hidden names skipped."""
    if os.path.isfile(os.path.join(root, STORE_MARKER)):
        yield root
        return
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        stores = [d for d in dirs if os.path.isfile(os.path.join(current, d, STORE_MARKER))]
        dirs[:] = [d for d in dirs if d not in stores] if recursive else []
        yield from (os.path.join(current, f) for f in sorted(files) if not f.startswith("."))
        yield from (os.path.join(current, d) for d in stores)


def slug(rel_path: str) -> str:
    """Stable identifier from a relative path: 'argo/multiprofile/6901744_prof.nc' ->
    'argo_multiprofile_6901744_prof'."""
    stem, ext = os.path.splitext(rel_path)
    text = stem if ext.lower() in (*NETCDF_SUFFIXES, *ODV_SUFFIXES) else rel_path
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
    """The catalog entry of one file or point-store folder, metadata read from the data.

    Raises a :class:`~portal.errors.PortalError` (ScanSkip, SourceUnavailable,
    NoDataInSelection) whose message says why the file cannot be used.
    """
    path = os.path.abspath(os.fspath(path))
    dataset_id = dataset_id or slug(os.path.basename(path.rstrip(os.sep)))
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, STORE_MARKER)):
            raise ScanSkip(f"folder without a {STORE_MARKER} marker is not a point store")
        return _describe_store(path, dataset_id)
    kind = sniff(path)
    suffix = os.path.splitext(path)[1].lower()
    if kind == "netcdf":
        return _describe_netcdf(path, dataset_id)
    if kind == "empty":
        raise ScanSkip("empty file (0 bytes)")
    if suffix in NETCDF_SUFFIXES:
        raise ScanSkip(f"not a NetCDF file (no NetCDF/HDF5 signature): {_peek(path)}")
    if suffix in ODV_SUFFIXES and kind == "text":
        if not is_odv(path):
            raise NotDataFile("text file without ODV spreadsheet headers (no //<Version>, "
                           "//SDN_parameter_mapping, nor Cruise/Station/Longitude/Latitude "
                           "columns)")
        return _describe_odv(path, dataset_id)
    raise NotDataFile(f"unsupported file type {suffix or '(no extension)'!r} ({kind}); the scan "
                   "reads NetCDF, ODV spreadsheets and point-store folders")


def sniff(path: str) -> str:
    """'netcdf', 'text', 'binary' or 'empty', from the first bytes of a file."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return "empty"
    if head[:3] == b"CDF" or head[:8] == b"\x89HDF\r\n\x1a\n":
        return "netcdf"
    if b"\x00" in head:
        return "binary"
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in head)
    return "text" if printable >= 0.95 * len(head) else "binary"


def _peek(path: str) -> str:
    """What a non-NetCDF file looks like, for the skip reason."""
    with open(path, "rb") as fh:
        head = fh.read(2048).decode("latin-1", "replace")
    if head.lstrip().startswith("Error {"):
        match = re.search(r'message\s*=\s*"(.*?)";', head, re.S)
        text = f": {match.group(1)}" if match else ""
        return f"it is an ERDDAP error response saved under a .nc name{text}"
    if head.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        return "it is an HTML page (a server error page saved as a data file?)"
    first = head.strip().splitlines()[0][:60] if head.strip() else ""
    return f"it is a text file starting with {first!r} (truncated or failed download?)"


def _describe_netcdf(path: str, dataset_id: str) -> DatasetEntry:
    from portal.cataloging.describe import describe_dataset

    _check_classic_size(path)
    ds = open_for_scan(path, dataset_id)
    try:
        return describe_dataset(ds, dataset_id, "netcdf", {"urlpath": path}, path)
    except (OSError, RuntimeError, ValueError, IndexError) as exc:
        raise ScanSkip(f"cannot read the data of {os.path.basename(path)} (truncated or corrupt "
                       f"file?): {type(exc).__name__}: {exc}") from exc
    finally:
        ds.close()


def _check_classic_size(path: str) -> None:
    """netCDF-C reads a classic file cut after its header as zeros: check the data fit.

    scipy's netCDF-3 parser maps every variable at its offset without reading it, and
    fails when the file is shorter than its header says (skipped if scipy is absent).
    """
    with open(path, "rb") as fh:
        if fh.read(4) not in (b"CDF\x01", b"CDF\x02"):
            return
    try:
        from scipy.io import netcdf_file
    except ImportError:
        return
    try:
        with netcdf_file(path, "r", mmap=True):
            pass
    except (ValueError, TypeError) as exc:  # arrays that do not fit in the file
        raise ScanSkip(f"truncated or corrupt NetCDF-3 file: {os.path.getsize(path)} bytes on "
                       f"disk, fewer than its header describes ({exc})",
                       hint="download the file again") from exc
    except Exception:  # noqa: BLE001 - a header scipy cannot parse: netCDF4 has the last word
        return


def open_for_scan(path: str, dataset_id: str = "") -> xr.Dataset:
    """Open a NetCDF file lazily *without* dask, times decoded like the netcdf source does.

    Same engines and errors as :func:`portal.formats.netcdf.open_netcdf_file`, but
    10-30x faster on small files (no dask graphs, no eager masking): the scan only
    reads the axes and checks the measured variables (fills masked there).
    """
    import xarray as xr

    from portal.errors import SourceUnavailable
    from portal.processing.decode import decode_times

    errors = []
    for engine in ("netcdf4", "h5netcdf"):
        try:
            ds = xr.open_dataset(path, engine=engine, decode_times=False)
        except Exception as exc:  # noqa: BLE001 - reported below with the file name
            errors.append(f"{engine}: {exc}")
            continue
        return decode_times(ds, dataset_id or os.path.basename(path))
    raise SourceUnavailable(f"cannot read {os.path.basename(path)}: {'; '.join(errors)}",
                            dataset=dataset_id, hint="truncated download or corrupt file?")


# ------------------------------------------------------------------------------------ ODV


def is_odv(path: str) -> bool:
    """True for ODV / SeaDataNet spreadsheet text files (comment markers or ODV columns)."""
    with open(path, "rb") as fh:
        text = fh.read(65536).decode("latin-1", "replace")
    text = text.removeprefix("\ufeff").removeprefix("ï»¿")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("//"):
            if any(marker in stripped.lower() for marker in _ODV_COMMENT_MARKERS):
                return True
            continue
        return _odv_header(stripped)
    return False


def _odv_header(line: str) -> bool:
    sep = "\t" if "\t" in line else ";"
    labels = [c.split(":")[0].strip().lower() for c in line.split(sep)]
    has_lon = any(lab.startswith(("longitude", "lon ")) for lab in labels)
    has_lat = any(lab.startswith(("latitude", "lat ")) for lab in labels)
    return "cruise" in labels and ("station" in labels or "site" in labels) and has_lon and has_lat


def _describe_odv(path: str, dataset_id: str) -> DatasetEntry:
    from portal.cataloging.describe import describe_dataset

    read_odv = _odv_reader()
    ds: xr.Dataset = read_odv(path, dataset=dataset_id)
    return describe_dataset(ds, dataset_id, "odv", {"urlpath": path}, path)


def _odv_reader():
    try:
        from portal.formats.odv import read_odv
    except ImportError as exc:
        raise ScanSkip(f"ODV spreadsheet, but the ODV reader is not available ({exc})",
                       hint="portal.formats.odv is missing or broken in this installation") from exc
    return read_odv


# ---------------------------------------------------------------------------- point store


def _describe_store(path: str, dataset_id: str) -> DatasetEntry:
    """A point-store folder: metadata from ``portal.pointstore.store_info`` or its marker."""
    info = _store_info(path)
    args = {"store": path}
    from portal.cataloging.describe import METADATA_KEYS

    if isinstance(info, DatasetEntry):
        return DatasetEntry.from_metadata(dataset_id, "pointstore", args, info.metadata())
    meta = info.get("metadata", info) if isinstance(info, dict) else {}
    meta = {k: v for k, v in meta.items() if k in METADATA_KEYS and v not in (None, "", [])}
    meta.setdefault("title", f"Point store {os.path.basename(path)}")
    meta.setdefault("summary", "Point store (columnar observation table) built by odatis-portal.")
    meta.setdefault("featureType", "point")
    return DatasetEntry.from_metadata(dataset_id, "pointstore", args, meta)


def _store_info(path: str) -> Any:
    try:
        from portal.pointstore import store_info
    except ImportError:
        store_info = None
    if store_info is not None:
        return store_info(path)
    try:
        with open(os.path.join(path, STORE_MARKER), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ScanSkip(f"point-store marker {STORE_MARKER} is unreadable: {exc}") from exc


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
        print(f"skipped  {rel}: {one_line(reason)}")
    title = f"Datasets scanned from {os.path.basename(os.path.abspath(args.dir))}"
    try:
        out = write_catalog(result.entries, args.output, title=title,
                            description=f"Written by 'odatis-portal catalog scan {args.dir}'.")
    except (OSError, PortalError) as exc:
        print(f"error: cannot write {args.output}: {exc}")
        return 2
    print(f"wrote {out}: {len(result.entries)} datasets, {len(result.skipped)} files skipped")
    return 0
