"""Entry arguments and metadata survive freezing exactly (model._freeze / _thaw)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.model import DatasetEntry, _freeze, _thaw

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(
    allow_nan=False)
keys = st.text(max_size=4) | st.integers()
values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(keys, inner, max_size=4)
                   | st.sets(st.integers(), max_size=4)),
    max_leaves=20,
)


def same(a, b) -> bool:
    """Equal and of the same container types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@given(values)
def test_round_trip_is_exact(value):
    frozen = _freeze(value)
    hash(frozen)
    assert same(_thaw(frozen), value)


@given(st.dictionaries(keys, values, max_size=5))
def test_equal_dicts_freeze_equal_whatever_the_order(value):
    reordered = dict(reversed(list(value.items())))
    assert _freeze(reordered) == _freeze(value)
    assert hash(_freeze(reordered)) == hash(_freeze(value))


def test_empty_containers_keep_their_kind():
    assert _thaw(_freeze({})) == {} and isinstance(_thaw(_freeze({})), dict)
    assert _thaw(_freeze([])) == [] and isinstance(_thaw(_freeze([])), list)
    assert _thaw(_freeze({"a": {}, "b": [], "c": ()})) == {"a": {}, "b": [], "c": ()}
    assert _freeze({}) != _freeze([]) != _freeze(())


def test_entry_arguments_and_metadata_round_trip():
    args = {"urlpath": ["a.nc", "b.nc"], "xarray_kwargs": {}, "chunks": {"time": 1}}
    entry = DatasetEntry.from_metadata("e", "netcdf", args, {"title": "T", "keywords": [],
                                                              "custom": {"k": {}}})
    assert entry.arguments == args
    assert isinstance(entry.arguments["xarray_kwargs"], dict)
    assert entry.metadata()["custom"] == {"k": {}}
    assert entry == DatasetEntry.from_metadata("e", "netcdf", dict(reversed(args.items())),
                                               {"title": "T"})
