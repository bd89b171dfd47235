"""``odatis-portal thumbnails``: every catalog entry's default quicklook as a small PNG.

One process renders the whole catalog through :func:`portal.render.thumbnails.thumbnail_png`
(Matplotlib and PIL only: no Bokeh, Panel or HoloViews to import), writing ``ID.png`` files
and a ``thumbnails.json`` manifest into the output folder. An entry whose thumbnail exists
for its current data version (:func:`portal.sources.versioning.data_version`: files' size,
mtime and inode, a store's manifest) and size is skipped, unless ``--force``. A failing
entry does not stop the run: the failures are listed at the end with their reasons; the exit
status is 1 only when every entry that needed drawing failed, or on any failure with
``--strict``. Progress goes to stderr: a tqdm bar on a terminal, one plain line per entry
otherwise. With ``--jobs N`` (default 1) the entries to draw are
shared by N worker processes forked once the drawing stack is imported (each imports
nothing again), largest files first; the folder and its manifest are the parent's alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.text import one_line

MANIFEST = "thumbnails.json"


@dataclass
class Outcome:
    """What one run did: ids written, up to date, without a quicklook, and failures."""

    written: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    no_quicklook: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def add_commands(subparsers) -> None:
    """Register ``thumbnails`` on the CLI's subparsers."""
    p = subparsers.add_parser("thumbnails", help="render every entry's default quicklook as a "
                                                 "small PNG (skips up-to-date ones)")
    p.add_argument("--catalog", action="append", help="catalog file(s) (default: the demo)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--height", type=int, default=200)
    p.add_argument("--force", action="store_true", help="redraw up-to-date thumbnails too")
    p.add_argument("--strict", action="store_true", help="exit 1 if any entry failed")
    p.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                   help="worker processes drawing at once (default: %(default)s)")
    p.set_defaults(func=run_thumbnails)


def file_name(dataset_id: str) -> str:
    """A safe file name for an id (other characters become ``_``, plus a short hash then,
    so two ids never share a file)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", dataset_id).lstrip(".") or "_"
    if safe != dataset_id:
        safe += "-" + hashlib.sha256(dataset_id.encode()).hexdigest()[:8]
    return safe[:150] + ".png"


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _progress(total: int):
    """A callable ``step(dataset_id)`` and a ``close()``: tqdm on a terminal, else lines."""
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm

            width = shutil.get_terminal_size((80, 20)).columns or 80  # 0 on bare ptys
            bar = tqdm(total=total, unit="dataset", file=sys.stderr, ncols=min(width, 100))
            return (lambda ident: (bar.set_postfix_str(ident[:30]), bar.update(1))), bar.close
        except ImportError:
            pass
    count = [0]

    def step(ident: str) -> None:
        count[0] += 1
        print(f"thumbnails {count[0]}/{total} {ident}", file=sys.stderr, flush=True)

    return step, lambda: None


def default_jobs() -> int:
    """One process: on the shared 2-core machine of the measurements (load 6-10), two
    workers drew no faster (demo 0.5/s against 0.6/s, ../shared/data 2.1 against 2.3/s);
    ``--jobs 2`` is for idle cores."""
    return 1


#: fewer entries to draw than this: drawn in this process (forking costs more than it saves)
PARALLEL_FROM = 4


def render_all(entries, folder: Path, width: int = 320, height: int = 200,
               force: bool = False, jobs: int = 1) -> Outcome:
    """Draw each entry's thumbnail into ``folder`` unless up to date; never raises for an
    entry (its failure is in the outcome). ``jobs`` > 1: in that many forked workers."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    outcome = Outcome()
    size = (width, height)
    todo = [e for e in entries if not _fresh(e, folder, manifest, outcome, size, force)]
    step, close = _progress(len(entries))
    try:
        for ident in outcome.fresh:
            step(ident)
        for entry, result in _drawn(todo, folder, size, jobs):
            _record(entry, result, manifest, outcome, size)
            step(entry.id)
    finally:
        close()
        _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return outcome


def _fresh(entry, folder: Path, manifest: dict, outcome: Outcome, size: tuple[int, int],
           force: bool) -> bool:
    """Whether the entry's thumbnail is up to date (then counted as such)."""
    from portal.sources.versioning import data_version

    known = manifest.get(entry.id) or {}
    if force or not known or known.get("size") != list(size):
        return False
    try:
        fresh = known.get("version") == data_version(entry) and (folder / known["file"]).exists()
    except Exception:  # noqa: BLE001 - drawing it says what is wrong
        return False
    if fresh:
        outcome.fresh.append(entry.id)
    return fresh


def _drawn(todo: list, folder: Path, size: tuple[int, int], jobs: int):
    """(entry, result of :func:`_draw`) for each entry, in this process or in ``jobs``
    forked workers, as they finish."""
    if jobs <= 1 or len(todo) < PARALLEL_FROM or not _can_fork():
        for entry in todo:
            yield entry, _draw(entry, folder, size)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    _import_drawing_stack(todo)  # once, before forking: the workers inherit it
    order = sorted(todo, key=_weight, reverse=True)  # the largest first, for balance
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(_draw, entry, folder, size): entry for entry in order}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _import_drawing_stack(entries) -> None:
    """Import what drawing needs (xarray, Matplotlib's Agg figure, the fast map path; the
    point-store kernels when a store is listed), so forked workers do not each import it."""
    import importlib

    from portal.sources import is_aggregating

    names = ["xarray", "netCDF4", "matplotlib.figure", "matplotlib.backends.backend_agg",
             "portal.pipeline", "portal.render.maps", "portal.render.plots"]
    if any(is_aggregating(e) for e in entries):
        names.append("portal.pointstore.aggregate")
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            continue


def _weight(entry) -> int:
    """Bytes of the entry's files (0 when unknown): the cost of drawing it, roughly."""
    path = str(entry.arguments.get("urlpath") or entry.arguments.get("store") or "")
    try:
        return os.path.getsize(path) if os.path.isfile(path) else 0
    except OSError:
        return 0


def _draw(entry, folder: Path, size: tuple[int, int]) -> tuple[str, str, str]:
    """Draw one thumbnail into ``folder``: ("written", kind, version), ("none", reason, "")
    for a metadata-only entry, or ("failed", reason, "")."""
    from portal.errors import UnsupportedQuicklook
    from portal.render.thumbnails import thumbnail_kind, thumbnail_png
    from portal.sources.versioning import data_version

    try:
        kind = thumbnail_kind(entry)
        version = data_version(entry)
        _write_atomic(folder / file_name(entry.id), thumbnail_png(entry, *size))
    except UnsupportedQuicklook as exc:
        return ("none" if "metadata only" in str(exc) else "failed"), one_line(exc), ""
    except Exception as exc:  # noqa: BLE001 - report it, go on with the rest
        return "failed", one_line(f"{type(exc).__name__}: {exc}"), ""
    return "written", kind, version


def _record(entry, result: tuple[str, str, str], manifest: dict, outcome: Outcome,
            size: tuple[int, int]) -> None:
    status, text, version = result
    if status == "none":
        outcome.no_quicklook.append(entry.id)
    elif status == "failed":
        outcome.failed.append((entry.id, text))
    else:
        manifest[entry.id] = {"file": file_name(entry.id), "kind": text, "version": version,
                              "size": list(size)}
        outcome.written.append(entry.id)


def run_thumbnails(args: argparse.Namespace) -> int:
    """The command: load the catalog(s), render, print the summary and the failures."""
    from portal.catalog.loader import load_catalog
    from portal.cli import _default_catalogs
    from portal.cold import defer_dask_array

    catalog = load_catalog(_default_catalogs(args.catalog))
    entries = list(catalog)
    if not args.debug:  # failures are reported below, one line each, not as log tracebacks
        logging.getLogger("portal").setLevel(logging.CRITICAL)
    start = time.perf_counter()
    defer_dask_array()  # (imports xarray: inside the timed loop, as drawing would)
    out = render_all(entries, Path(args.output), args.width, args.height, args.force,
                     args.jobs)
    took = time.perf_counter() - start
    drawn = len(out.written) + len(out.failed)
    rate = f", {len(out.written) / took:.1f} datasets/s" if out.written and took > 0 else ""
    print(f"thumbnails in {args.output}: {len(out.written)} written, {len(out.fresh)} up to "
          f"date, {len(out.no_quicklook)} without a quicklook, {len(out.failed)} failed "
          f"({took:.2f} s{rate})")
    for ident, reason in out.failed:
        print(f"failed   {ident}: {reason}", file=sys.stderr)
    if out.failed and (args.strict or not out.written and drawn):
        return 1
    return 0
