"""The portal's package data: ``static/``, ``layouts/`` and the demo catalog.

They live at the top of the repository and ship inside the wheel as ``portal/_data``
(``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``). Every
module reads them through this one module: :func:`root` is ``portal/_data`` found with
:mod:`importlib.resources` in an installed wheel, else the repository top (a checkout
or an editable install). Read-only: generated files go to the settings' data folder.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

DATA_PACKAGE_DIR = "_data"


@functools.cache
def root() -> Path:
    """The folder holding ``static/``, ``layouts/`` and ``catalogs/``."""
    packaged = resources.files("portal").joinpath(DATA_PACKAGE_DIR)
    if packaged.is_dir():
        return Path(str(packaged))  # a wheel is installed as plain files
    return Path(__file__).resolve().parents[1]


def path(*parts: str) -> Path:
    """A file or folder of the package data, e.g. ``path("static", "portal.css")``."""
    return root().joinpath(*parts)


def static_dir() -> Path:
    """Files served at ``/assets`` (CSS, logos, the Natural Earth land layer)."""
    return path("static")


def layouts_dir() -> Path:
    """The page layouts (``portal.yaml``, ``embed.yaml``)."""
    return path("layouts")


def land_geojson() -> Path:
    """Natural Earth 110 m land polygons (public domain), used by maps and the demo."""
    return path("static", "land_110m.geojson")


def demo_catalog() -> Path:
    """The committed demo catalog (read-only; :mod:`portal.demo.home` makes it usable)."""
    return path("catalogs", "demo.yaml")


def is_packaged(file: str | Path) -> bool:
    """True when ``file`` lies inside the installed package data (never write there)."""
    packaged = Path(str(resources.files("portal").joinpath(DATA_PACKAGE_DIR)))
    return packaged.is_dir() and Path(file).resolve().is_relative_to(packaged.resolve())
