"""Panel designs whose themes read their style-sheet paths without searching the disk.

Panel asks the page's theme for its ``base_css`` and ``css`` for every component it
renders (``Design._get_modifiers``), and param resolves a ``param.Filename`` on each read:
it builds a ``resolve_path`` instance and looks the file up on disk. Under load (20
sessions, py-spy) that was 5 % of the server's CPU. :func:`plain_paths` gives a design
whose themes hold the same paths, resolved once, as plain strings: the same style sheets,
read for nothing. The classes are built once per design and never changed afterwards
(nothing per session).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import param

if TYPE_CHECKING:
    from panel.theme.base import Design, Theme


@functools.cache
def plain_paths(design: type[Design]) -> type[Design]:
    """``design`` (a Panel ``Design`` class) with each theme's paths as plain strings."""
    themes = {name: _plain_theme(theme) for name, theme in design._themes.items()}
    return type(design.__name__, (design,), {"_themes": themes, "__module__": __name__})


@functools.cache
def _plain_theme(theme: type[Theme]) -> type[Theme]:
    """``theme`` with ``base_css`` and ``css`` resolved now and kept as strings."""
    fields: dict[str, Any] = {}
    for name in ("base_css", "css"):
        value = getattr(theme, name)  # a class-level read resolves the path once
        fields[name] = param.String(default=None if value is None else str(value),
                                    allow_None=True, doc=theme.param[name].doc)
    return type(theme.__name__, (theme,), {**fields, "__module__": __name__})
