"""Bokeh's immutable property defaults computed once per model class, not on every read.

Bokeh computes the value of a property that was never set on each read
(``PropertyDescriptor._get_default``): it looks up theme overrides through a failing
``getattr``, the class's overridden defaults, copies the default and validates it. Every
walk over a document reads nearly every property of every model: the references
recomputed after each change (``DocumentModelManager.recompute``), ``Model.select``,
serialisation. Under the load of 20 sessions those reads took 16 % of the server's CPU
(py-spy, ``bench/bench_load.py``; Bokeh's own PR 13174 made the same diagnosis and
cached only the mutable defaults). :func:`memoize_stable_defaults` keeps, per
(property, model class), the default when it is an immutable scalar (``None``, a bool,
a number, a string, a tuple of those) computed with validation on and no theme override:
the value Bokeh would compute again. Mutable and callable defaults (lists, dicts,
models, which Bokeh keeps per instance) and themed values take Bokeh's own path. The
memo holds library constants, one small entry per (property, class) pair.
"""

from __future__ import annotations

from typing import Any

_SCALARS = (type(None), bool, int, float, str)
_UNSTABLE = object()  # marks a (property, class) whose default Bokeh keeps per instance


def _immutable(value: Any) -> bool:
    if type(value) in _SCALARS:
        return True
    return type(value) is tuple and all(type(v) in _SCALARS for v in value)


def _memoized(original: Any) -> Any:
    from bokeh.core.property import bases

    memo: dict[tuple[int, type], Any] = {}
    keep: list[Any] = []  # the descriptors keyed by id, kept alive with their entries

    def _get_default(self: Any, obj: Any) -> Any:
        themed = obj.__dict__.get("__themed_values__")
        if themed is not None and self.name in themed:
            return original(self, obj)
        key = (id(self), type(obj))
        value = memo.get(key, _UNSTABLE)
        if value is not _UNSTABLE:
            return value
        if key in memo:  # known unstable: Bokeh's per-instance store, once filled
            kept = obj._unstable_default_values
            return kept[self.name] if self.name in kept else original(self, obj)
        value = original(self, obj)
        if not bool(bases.Property._should_validate):
            return value  # unconverted while validation is off: not the value to keep
        memo[key] = value if (not self.has_unstable_default(obj)
                              and _immutable(value)) else _UNSTABLE
        keep.append(self)
        return value

    _get_default.__wrapped__ = original  # type: ignore[attr-defined]
    _get_default.memo = memo  # type: ignore[attr-defined]
    return _get_default


def memoize_stable_defaults() -> None:
    """Install the memo on Bokeh's ``PropertyDescriptor`` (idempotent, process-wide)."""
    from bokeh.core.property.descriptors import PropertyDescriptor

    current = PropertyDescriptor._get_default
    if getattr(current, "__wrapped__", None) is not None:
        return
    PropertyDescriptor._get_default = _memoized(current)  # type: ignore[method-assign]


def restore_bokeh_defaults() -> None:
    """Bokeh's own ``_get_default`` again (tests compare both)."""
    from bokeh.core.property.descriptors import PropertyDescriptor

    original = getattr(PropertyDescriptor._get_default, "__wrapped__", None)
    if original is not None:
        PropertyDescriptor._get_default = original  # type: ignore[method-assign]
