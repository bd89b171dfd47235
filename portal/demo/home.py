"""The demo catalog made usable wherever the portal is installed.

The demo catalog (``catalogs/demo.yaml``, marked ``portal_demo: true`` in its metadata)
points at data files that are generated, not shipped. :func:`prepare_catalogs` runs on
the catalog files a server or the CLI loads: a demo catalog whose files are missing gets
them generated — beside it when that folder is writable and not inside the installed
package (a checkout: ``serve --catalog catalogs/demo.yaml``), else in a copy of the
catalog under the settings' data folder (``PORTAL_DATA_DIR``, else the XDG data folder
``~/.local/share/odatis-portal``). ``PORTAL_DEMO_SCALE`` sizes what is generated (CI
uses ~0.01; 1 gives the full >10⁶-sample mooring). Any other catalog is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from portal.demo import files
from portal.settings import current

DEMO_MARK = "portal_demo"  # key in the catalog's metadata
CATALOG_DIR = "{CATALOG_DIR}/"


def is_demo_catalog(path: str | os.PathLike) -> bool:
    """True for a catalog whose metadata carries the demo mark."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return False
    if DEMO_MARK not in text:  # most catalogs: no YAML parse
        return False
    meta = (yaml.safe_load(text) or {}).get("metadata") or {}
    return bool(meta.get(DEMO_MARK))


def _data_files(path: str | os.PathLike) -> list[Path]:
    """The files and stores the catalog's entries name (``{CATALOG_DIR}``-relative)."""
    import yaml

    catalog_dir = Path(path).resolve().parent
    entries = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("entries", {})
    found = []
    for entry in entries.values():
        kwargs = entry.get("kwargs") or {}
        ref = kwargs.get("urlpath") or kwargs.get("store") or ""
        if isinstance(ref, str) and ref.startswith(CATALOG_DIR):
            found.append(catalog_dir / ref[len(CATALOG_DIR):])
    return found


def _missing(paths: list[Path]) -> bool:
    from portal.pointstore import STORE_MARKER

    return any(not (p / STORE_MARKER).exists() if p.suffix == "" else not p.exists()
               for p in paths)


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def prepare_catalog(path: str | os.PathLike) -> str:
    """``path``, or the copy to load instead, with the demo files it names generated."""
    from portal import assets

    path = os.path.abspath(path)
    if not is_demo_catalog(path):
        return path
    data = _data_files(path)
    if not data or not _missing(data):
        return path
    folder = data[0].parent.resolve()
    if not assets.is_packaged(path) and _writable(folder):
        files.ensure_demo(str(folder), scale=current().demo_scale)
        return path
    return _home_copy(path, folder)


def _home_copy(path: str, folder: Path) -> str:
    """A copy of the demo catalog in the data folder, with its files generated there."""
    home = Path(current().data_path)
    copy = home / "catalogs" / Path(path).name
    target = (copy.parent / os.path.relpath(folder, Path(path).parent)).resolve()
    files.ensure_demo(str(target), scale=current().demo_scale)
    text = Path(path).read_text(encoding="utf-8")
    if not copy.exists() or copy.read_text(encoding="utf-8") != text:
        copy.parent.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, copy)
    return str(copy)


def ensure_demo_catalog() -> str:
    """The demo catalog to load, with its data generated where needed; its path."""
    if not os.path.exists(files.DEFAULT_CATALOG):  # a checkout without the committed file
        files.ensure_demo(files.DEFAULT_DATA_DIR, scale=current().demo_scale)
        return files.build_demo_catalog(files.DEFAULT_DATA_DIR, files.DEFAULT_CATALOG)
    return prepare_catalog(files.DEFAULT_CATALOG)


def prepare_catalogs(paths: Iterable[str | os.PathLike] | None) -> tuple[str, ...]:
    """The catalog files to load: ``paths`` prepared, or the demo catalog when empty."""
    chosen = tuple(prepare_catalog(p) for p in paths or ())
    return chosen or (ensure_demo_catalog(),)
