"""Typed argument schemas of the source adapters, checked the same way everywhere.

Each adapter declares its catalog arguments (the entry's ``kwargs`` besides
``driver``) as a tuple of :class:`Argument`: name, accepted types, whether it is
required, the allowed values and a one-line doc. :func:`check_arguments` reports
unknown keys with a did-you-mean suggestion, missing required ones, wrong types
and values outside ``choices``, in words a catalog author can act on.
:func:`resolve_path` turns ``{CATALOG_DIR}``, ``file://`` and relative paths of
``path`` arguments into absolute ones (the loader and the validator share it).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a mapping"}


@dataclass(frozen=True)
class Argument:
    """One catalog argument of an adapter."""

    name: str
    types: tuple[type, ...] = (str,)
    required: bool = False
    doc: str = ""
    choices: tuple[Any, ...] = ()
    #: a local path (or list of paths / glob): resolved against the catalog's folder
    path: bool = False

    def problem(self, value: Any) -> str:
        """Why ``value`` does not fit this argument ('' when it does)."""
        if not isinstance(value, self.types) or (isinstance(value, bool) and bool not in self.types):
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in self.types)
            return f"argument {self.name!r} must be {wanted}, got {value!r}"
        if self.choices and value not in self.choices:
            hint = did_you_mean(str(value), [str(c) for c in self.choices])
            return (f"argument {self.name!r} is {value!r}{hint} "
                    f"(one of: {', '.join(map(str, self.choices))})")
        return ""


def did_you_mean(text: str, known: Iterable[str]) -> str:
    """" — did you mean 'x'?" for the closest known name (case-insensitive), or ''."""
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(text.lower(), list(lowered), n=1)
    return f" — did you mean {lowered[close[0]]!r}?" if close else ""


def check_arguments(schema: tuple[Argument, ...], arguments: Mapping[str, Any],
                    driver: str = "") -> list[str]:
    """Every problem of ``arguments`` against ``schema`` (an empty list when they fit)."""
    by_name = {a.name: a for a in schema}
    of = f" of driver {driver!r}" if driver else ""
    problems = []
    for key in arguments:
        if key not in by_name:
            hint = did_you_mean(str(key), by_name) or f" (known: {', '.join(by_name) or 'none'})"
            problems.append(f"unknown argument {str(key)!r}{of}{hint}")
    for arg in schema:
        value = arguments.get(arg.name)
        if value is None or value == "":
            if arg.required:
                problems.append(f"no {arg.name!r} in kwargs ({arg.doc or 'required'})")
            continue
        problem = arg.problem(value)
        if problem:
            problems.append(problem)
    return problems


def resolve_path(value: Any, catalog_dir: str) -> Any:
    """``value`` (a path, a URL or a list of them) made absolute against ``catalog_dir``."""
    if isinstance(value, list):
        return [resolve_path(v, catalog_dir) for v in value]
    if not isinstance(value, str):
        return value
    text = value.replace("{CATALOG_DIR}", catalog_dir).removeprefix("file://")
    if "://" in text:
        return text
    if os.path.isabs(text):
        return os.path.normpath(text)
    return os.path.normpath(os.path.join(catalog_dir, text))


def resolve_paths(schema: tuple[Argument, ...], arguments: Mapping[str, Any],
                  catalog_dir: str) -> dict[str, Any]:
    """``arguments`` with every ``path`` argument resolved against ``catalog_dir``."""
    paths = {a.name for a in schema if a.path}
    return {k: resolve_path(v, catalog_dir) if k in paths else v for k, v in arguments.items()}
