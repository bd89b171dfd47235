"""Portal configuration, read once from ``PORTAL_*`` environment variables.

``odatis-portal serve`` sets these from its options before starting the server,
so the same app also runs under plain ``panel serve portal/server/app.py``.
Settings are a frozen dataclass: constant after start, shared safely by sessions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _list(name: str, sep: str = ",") -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(p.strip() for p in raw.split(sep) if p.strip())


@dataclass(frozen=True)
class Limits:
    """The one table of request limits: every output (page, embed, PNG, CLI) checks these."""

    min_image_px: int = 100
    max_image_px: int = 4000          # width or height of a rendered image
    max_points: int = 1_000_000       # rows of observations drawn as points
    max_cells: int = 50_000_000       # cells of a gridded selection read at once
    max_variables: int = 4            # variables in one request

    def check_image(self, width: int, height: int) -> None:
        """Raise ``ValueError`` naming the allowed range when a size is outside it."""
        lo, hi = self.min_image_px, self.max_image_px
        if not (lo <= width <= hi and lo <= height <= hi):
            raise ValueError(f"width and height must be between {lo} and {hi} pixels")


@dataclass(frozen=True)
class Limits:
    """The one table of request limits: every output (page, embed, PNG, CLI) checks these."""

    min_image_px: int = 100
    max_image_px: int = 4000          # width or height of a rendered image
    max_points: int = 1_000_000       # rows of observations drawn as points
    max_cells: int = 50_000_000       # cells of a gridded selection read at once
    max_variables: int = 4            # variables in one request

    def check_image(self, width: int, height: int) -> None:
        """Raise ``ValueError`` naming the allowed range when a size is outside it."""
        lo, hi = self.min_image_px, self.max_image_px
        if not (lo <= width <= hi and lo <= height <= hi):
            raise ValueError(f"width and height must be between {lo} and {hi} pixels")


@dataclass(frozen=True)
class Settings:
    """What an administrator configures (catalogs, embedding, computing)."""

    catalogs: tuple[str, ...] = ()
    embed_origins: tuple[str, ...] = ()
    dask_scheduler: str | None = None
    layout: str = "portal"
    png_cache_items: int = 256
    limits: Limits = Limits()
    limits: Limits = Limits()

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            catalogs=_list("PORTAL_CATALOGS", os.pathsep),
            embed_origins=_list("PORTAL_EMBED_ORIGINS", " "),
            dask_scheduler=os.environ.get("PORTAL_DASK_SCHEDULER") or None,
            layout=os.environ.get("PORTAL_LAYOUT", "portal"),
            png_cache_items=int(os.environ.get("PORTAL_PNG_CACHE_ITEMS", "256")),
        )

    def to_env(self) -> dict[str, str]:
        env = {"PORTAL_CATALOGS": os.pathsep.join(self.catalogs),
               "PORTAL_EMBED_ORIGINS": " ".join(self.embed_origins),
               "PORTAL_LAYOUT": self.layout}
        if self.dask_scheduler:
            env["PORTAL_DASK_SCHEDULER"] = self.dask_scheduler
        return env


def frame_ancestors(settings: Settings) -> str:
    """The CSP ``frame-ancestors`` value: 'self' plus the configured embedding origins."""
    return " ".join(("'self'", *settings.embed_origins))
