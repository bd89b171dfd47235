"""Check a catalog file and report every problem, in words a catalog author can act on.

:func:`validate_file` parses the raw YAML (syntax, duplicate keys), checks that it
is a version-2 Intake catalog, then checks each entry: its keys, reader, driver,
the driver's arguments (by the source adapter's ``validate``: typed schema, unknown
arguments with did-you-mean, the files or folders they name), and its metadata block (unknown
keys with did-you-mean suggestions, featureType, bbox, time and vertical coverage,
variables). Finally it loads the file with :func:`portal.catalog.loader.load_catalog`
so anything Intake itself refuses is reported too. ``run_validate`` is the
``catalog validate`` command.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Hashable
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from portal.errors import CatalogError
from portal.model import FEATURE_TYPES, DatasetEntry, VariableInfo

if TYPE_CHECKING:
    import argparse

TOP_KEYS = ("version", "entries", "data", "metadata", "user_parameters", "aliases")
ENTRY_KEYS = ("reader", "kwargs", "metadata", "output_instance", "user_parameters")
#: keys Intake 2.0.9 fails without (KeyError in Catalog/ReaderDescription.from_dict).
_INTAKE_TOP = ("entries", "data", "user_parameters", "aliases", "metadata")
VARIABLE_KEYS = tuple(f.name for f in fields(VariableInfo))


def validate_file(path: str | os.PathLike) -> list[str]:
    """Every problem found in the catalog file at ``path`` (an empty list when valid)."""
    path = os.path.abspath(os.fspath(path))
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        return [f"cannot read catalog file {path}: {exc.strerror or exc}"]
    raw, problems = _parse_yaml(text)
    if raw is None:
        return problems
    fatal = _not_a_catalog(raw)
    if fatal:
        return problems + [fatal]
    problems += _check_top_level(raw)
    entries = raw.get("entries") if isinstance(raw.get("entries"), dict) else {}
    problems = _name_duplicates(problems, entries)
    for dataset_id, entry in getattr(entries, "pairs", None) or entries.items():
        problems += check_entry(str(dataset_id), entry, os.path.dirname(path))
    flagged = {p.split("'")[1] for p in problems if p.startswith("entry '")}
    return problems + _check_with_loader(path, flagged)


# ---------------------------------------------------------------------------------- YAML


def _parse_yaml(text: str) -> tuple[Any, list[str]]:
    """(data, problems): syntax errors with their position, and duplicate keys."""
    import yaml

    duplicates: list[str] = []

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
        loader.flatten_mapping(node)
        seen: dict[Any, int] = {}
        pairs = []
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, "found an unhashable key", key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                duplicates.append(f"{key!r} at line {line} (first at line {seen[key]})")
            seen.setdefault(key, line)
            pairs.append((key, loader.construct_object(value_node, deep=True)))
        return _Mapping(pairs)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        data = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"YAML syntax error{where}: {problem}"]
    problems = [f"duplicate key {d}: YAML keeps only the last one" for d in duplicates]
    return data, problems


class _Mapping(dict):
    """A YAML mapping that also remembers every (key, value) pair, duplicates included."""

    def __init__(self, pairs: list[tuple[Any, Any]]):
        super().__init__(pairs)
        self.pairs = pairs


def _name_duplicates(problems: list[str], entries: dict) -> list[str]:
    """Say 'dataset id' for duplicate keys that are entry ids."""
    out = []
    for text in problems:
        key = text.split("'")[1] if text.startswith("duplicate key '") else None
        if key is not None and key in entries:
            text = text.replace("duplicate key", "duplicate dataset id", 1)
            text = text.replace("YAML keeps only the last one", "ids must be unique; YAML keeps "
                                "only the last entry")
        out.append(text)
    return out


def _not_a_catalog(raw: Any) -> str:
    """Why ``raw`` is no version-2 Intake catalog at all ('' if it is one)."""
    if not isinstance(raw, dict):
        return ("not an Intake catalog: the file must be a YAML mapping with 'version: 2' "
                "and 'entries:'")
    if raw.get("version") != 2:
        found = "a version-1 catalog ('sources:')" if "sources" in raw else (
            f"version {raw.get('version')!r}")
        return (f"not a version-2 Intake catalog: found {found}; the portal reads native Intake 2 "
                "YAML ('version: 2' with 'entries:'); write it with 'odatis-portal catalog scan'")
    return ""


def _check_top_level(raw: dict) -> list[str]:
    problems = [_unknown(key, TOP_KEYS, "top-level key") for key in raw if key not in TOP_KEYS]
    problems += [f"missing top-level key {key!r} (Intake 2 fails without it; write '{key}: {{}}')"
                 for key in _INTAKE_TOP if key not in raw]
    if not isinstance(raw.get("entries") or {}, dict):
        problems.append("'entries' must be a mapping of dataset id -> entry")
    return problems


# --------------------------------------------------------------------------------- entries


def check_entry(dataset_id: str, entry: Any, catalog_dir: str) -> list[str]:
    """Problems of one raw catalog entry (a dict as read from YAML)."""
    from portal.catalog.loader import PORTAL_READER, XARRAY_READER

    prefix = f"entry {dataset_id!r}: "
    if not isinstance(entry, dict):
        return [prefix + "must be a mapping with reader, kwargs and metadata"]
    problems = [_unknown(k, ENTRY_KEYS, "key") for k in entry if k not in ENTRY_KEYS]
    reader = entry.get("reader")
    if not reader:
        problems.append(f"no 'reader' (use {PORTAL_READER})")
    elif reader not in (PORTAL_READER, XARRAY_READER):
        problems.append(f"unsupported reader {reader!r}"
                        + (_did_you_mean(str(reader), (PORTAL_READER, XARRAY_READER))
                           or f" (use {PORTAL_READER})"))
    if "output_instance" not in entry:
        problems.append("no 'output_instance' (Intake needs it; use xarray:Dataset)")
    if "user_parameters" not in entry:
        problems.append("no 'user_parameters' (Intake fails without it; write 'user_parameters: "
                        "{}')")
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        problems.append("'kwargs' must be a mapping")
    elif reader == PORTAL_READER:
        problems += _check_driver(kwargs, catalog_dir)
    meta = entry.get("metadata")
    if meta is None:
        problems.append("no 'metadata' block (title, featureType, variables...)")
    elif not isinstance(meta, dict):
        problems.append("'metadata' must be a mapping")
    else:
        problems += check_metadata(meta)
    return [prefix + p for p in problems]


def _check_driver(kwargs: dict, catalog_dir: str) -> list[str]:
    """The driver is known, and its adapter accepts the arguments (see Source.validate)."""
    from portal.sources import get_source, registered

    args = dict(kwargs)
    driver = args.pop("driver", None)
    if not driver:
        return [f"no 'driver' in kwargs (one of: {', '.join(registered())})"]
    if driver not in registered():
        hint = _did_you_mean(str(driver), registered())
        return [f"unknown driver {driver!r}{hint} (known: {', '.join(registered())})"]
    try:
        source = get_source(str(driver))
    except CatalogError as exc:  # a known driver whose dependency is missing
        return [exc.reason]
    return source.validate(DatasetEntry.from_metadata("entry", str(driver), args, {}), catalog_dir)


# -------------------------------------------------------------------------------- metadata


def check_metadata(meta: dict) -> list[str]:
    """Problems of an entry's metadata block."""
    from portal.access import validate_access
    from portal.cataloging.describe import METADATA_KEYS

    problems = [_unknown(k, METADATA_KEYS, "metadata key") for k in meta if k not in METADATA_KEYS]
    feature_type = meta.get("featureType")
    if feature_type is not None and feature_type not in FEATURE_TYPES:
        problems.append(f"unknown featureType {feature_type!r}"
                        + _did_you_mean(str(feature_type), FEATURE_TYPES)
                        + f" (valid: {', '.join(FEATURE_TYPES)})")
    if "bbox" in meta:
        problems += _check_bbox(meta["bbox"])
    if "time_coverage" in meta:
        problems += _check_time_coverage(meta["time_coverage"])
    if "vertical_coverage" in meta:
        problems += _check_pair(meta["vertical_coverage"], "vertical_coverage")
    problems += _check_variables(meta.get("variables"))
    if "access" in meta and (why := validate_access(meta["access"])):
        problems.append(f"access: {why} (the dataset is hidden from everyone until fixed)")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_bbox(bbox: Any) -> list[str]:
    if not isinstance(bbox, list | tuple) or len(bbox) != 4 or not all(map(_is_number, bbox)):
        return [f"bbox must be 4 numbers [west, south, east, north], got {bbox!r}"]
    west, south, east, north = (float(x) for x in bbox)
    problems = []
    if not (-180 <= west <= 360 and -180 <= east <= 360):
        problems.append(f"bbox longitudes out of range [-180, 360]: west={west}, east={east}")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        problems.append(f"bbox latitudes out of range [-90, 90]: south={south}, north={north}")
    elif south > north:
        problems.append(f"bbox south ({south}) is north of north ({north}); order is [W, S, E, N]")
    if west > east and not (west <= 180 and east >= -180 and west > 0 > east):
        problems.append(f"bbox west ({west}) > east ({east}) and it does not cross 180°")
    return problems


def _check_time_coverage(value: Any) -> list[str]:
    import pandas as pd

    if not isinstance(value, list | tuple) or len(value) != 2:
        return [f"time_coverage must be [start, end] ISO-8601 strings, got {value!r}"]
    stamps = []
    for text in value:
        try:
            stamp = pd.Timestamp(str(text))
            if pd.isna(stamp):
                raise ValueError("not a time")
            stamps.append(stamp.tz_localize(None) if stamp.tzinfo else stamp)
        except (ValueError, TypeError, OverflowError):
            return [f"time_coverage value {text!r} is not an ISO-8601 date/time "
                    "(e.g. 2015-05-26T05:55:00Z)"]
    if stamps[0] > stamps[1]:
        return [f"time_coverage starts ({value[0]}) after it ends ({value[1]})"]
    return []


def _check_pair(value: Any, key: str) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) != 2 or not all(map(_is_number, value)):
        return [f"{key} must be 2 numbers [min, max], got {value!r}"]
    return [] if value[0] <= value[1] else [f"{key} min ({value[0]}) > max ({value[1]})"]


def _check_variables(variables: Any) -> list[str]:
    if variables is None:
        return []
    if not isinstance(variables, list):
        return [f"variables must be a list, got {type(variables).__name__}"]
    problems = []
    for i, var in enumerate(variables):
        if isinstance(var, str):
            continue
        if not isinstance(var, dict):
            problems.append(f"variables[{i}] must be a name or a mapping, got {var!r}")
            continue
        label = f"variable {var.get('name')!r}" if var.get("name") else f"variables[{i}]"
        if not var.get("name"):
            problems.append(f"{label} has no 'name'")
        problems += [f"{label}: " + _unknown(k, VARIABLE_KEYS, "key")
                     for k in var if k not in VARIABLE_KEYS]
    return problems


def _unknown(key: Any, known: tuple[str, ...], kind: str) -> str:
    """"unknown metadata key 'featuretype' — did you mean 'featureType'?"."""
    hint = _did_you_mean(str(key), known) or f" (known: {', '.join(known)})"
    return f"unknown {kind} {str(key)!r}{hint}"


def _did_you_mean(text: str, known: tuple[str, ...]) -> str:
    """" — did you mean 'x'?" for the closest known name (case-insensitive), or ''."""
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(text.lower(), list(lowered), n=1)
    return f" — did you mean {lowered[close[0]]!r}?" if close else ""


# ---------------------------------------------------------------------------------- loader


class _Collect(logging.Handler):
    """A logging handler that keeps the records it is given."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _check_with_loader(path: str, flagged: set[str]) -> list[str]:
    """What load_catalog (Intake) refuses or logs, for entries not already reported."""
    from portal.catalog.loader import load_catalog

    handler = _Collect(logging.WARNING)
    records = handler.records
    logger = logging.getLogger("portal.catalog.loader")
    logger.addHandler(handler)
    try:
        load_catalog(path)
    except CatalogError as exc:
        reason = exc.__cause__
        detail = f"{type(reason).__name__}: {reason}" if reason is not None else exc.reason
        return [f"Intake refuses the catalog ({detail})"]
    except Exception as exc:  # noqa: BLE001 - anything the loader trips on is a problem
        return [f"the portal cannot load the catalog ({type(exc).__name__}: {exc})"]
    finally:
        logger.removeHandler(handler)
    problems = []
    for record in records:
        cause = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        message = record.getMessage()
        if getattr(cause, "dataset", None) in flagged or any(
                f"entry {ident!r}" in message for ident in flagged):
            continue
        problems.append(f"loader: {message}")
    return problems


def data_warnings(path: str | os.PathLike) -> list[str]:
    """The ``data_warnings`` the scan recorded (implausible ranges, time axes): shown by
    ``catalog validate`` as warnings, they do not make the catalog invalid."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError):
        return []
    entries = raw.get("entries") if isinstance(raw, dict) else None
    out = []
    for dataset_id, entry in (entries or {}).items():
        meta = entry.get("metadata") if isinstance(entry, dict) else None
        for text in (meta or {}).get("data_warnings") or []:
            out.append(f"warning: entry {dataset_id!r}: {text}")
    return out


# ------------------------------------------------------------------------------------- CLI


def run_validate(args: argparse.Namespace) -> int:
    """``catalog validate FILE``: print every problem; exit 1 if any, else 'OK: N datasets'."""
    problems = validate_file(args.file)
    for problem in problems:
        print(problem)
    for warning in data_warnings(args.file):
        print(warning)
    if problems:
        print(f"{len(problems)} problem(s) in {args.file}")
        return 1
    from portal.catalog.loader import load_catalog

    print(f"OK: {len(load_catalog(args.file))} datasets")
    return 0
