"""``odatis-portal thumbnails``: every catalog entry's default quicklook as a small PNG.

One process renders the whole catalog through :func:`portal.render.thumbnails.thumbnail_png`
(Matplotlib and PIL only: no Bokeh, Panel or HoloViews to import), writing ``ID.png`` files
and a ``thumbnails.json`` manifest into the output folder. An entry whose thumbnail exists
for its current data version (:func:`portal.sources.versioning.data_version`: files' size,
mtime and inode, a store's manifest) and size is skipped, unless ``--force``. A failing
entry does not stop the run: the failures are listed at the end with their reasons; the exit
status is 1 only when every entry that needed drawing failed, or on any failure with
``--strict``. Progress goes to stderr: a tqdm bar on a terminal, one plain line per entry
otherwise.
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


def render_all(entries, folder: Path, width: int = 320, height: int = 200,
               force: bool = False) -> Outcome:
    """Draw each entry's thumbnail into ``folder`` unless up to date; never raises for an
    entry (its failure is in the outcome)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    outcome = Outcome()
    step, close = _progress(len(entries))
    try:
        for entry in entries:
            _one(entry, folder, manifest, outcome, (width, height), force)
            step(entry.id)
    finally:
        close()
        _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return outcome


def _one(entry, folder: Path, manifest: dict, outcome: Outcome, size: tuple[int, int],
         force: bool) -> None:
    from portal.errors import UnsupportedQuicklook
    from portal.render.thumbnails import thumbnail_kind, thumbnail_png
    from portal.sources.versioning import data_version

    name = file_name(entry.id)
    try:
        kind = thumbnail_kind(entry)
        version = data_version(entry)
        known = manifest.get(entry.id) or {}
        if (not force and known.get("version") == version and known.get("size") == list(size)
                and (folder / name).exists()):
            outcome.fresh.append(entry.id)
            return
        _write_atomic(folder / name, thumbnail_png(entry, *size))
    except UnsupportedQuicklook as exc:
        if "metadata only" in str(exc):
            outcome.no_quicklook.append(entry.id)
        else:
            outcome.failed.append((entry.id, one_line(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - report it, go on with the rest
        outcome.failed.append((entry.id, one_line(f"{type(exc).__name__}: {exc}")))
        return
    manifest[entry.id] = {"file": name, "kind": kind, "version": version, "size": list(size)}
    outcome.written.append(entry.id)


def run_thumbnails(args: argparse.Namespace) -> int:
    """The command: load the catalog(s), render, print the summary and the failures."""
    from portal.catalog.loader import load_catalog
    from portal.cli import _default_catalogs

    catalog = load_catalog(_default_catalogs(args.catalog))
    entries = list(catalog)
    if not args.debug:  # failures are reported below, one line each, not as log tracebacks
        logging.getLogger("portal").setLevel(logging.CRITICAL)
    start = time.perf_counter()
    out = render_all(entries, Path(args.output), args.width, args.height, args.force)
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
