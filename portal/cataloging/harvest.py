"""Harvest an ERDDAP server into catalog entries (``odatis-portal catalog from-erddap``).

The server's dataset listing (``/info/index.json``, or a full-text search, or the
ids given) and each dataset's ``/info`` become :class:`DatasetEntry` records with
the same metadata block as local files: title, summary, institution, licence, DOI
when one is found, featureType (from ``cdm_data_type``), variables with standard
names and units, bounding box and time coverage. Requests go through the portal's
HTTP wrapper (at most two in flight, cached); a dataset whose info cannot be read
is kept with its listing metadata, which its ``source_format`` says.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from portal.errors import NoDataInSelection, PortalError
from portal.model import DatasetEntry, VariableInfo

log = logging.getLogger(__name__)

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>,;]+[^\s\"'<>,;.)])")
_CDM = {"grid": "grid", "other": "point", "point": "point", "profile": "profile",
        "timeseries": "timeSeries", "trajectory": "trajectory",
        "timeseriesprofile": "timeSeriesProfile", "trajectoryprofile": "trajectoryProfile"}


def _rows(payload: dict) -> list[dict[str, Any]]:
    """An ERDDAP JSON table as a list of {column: value}."""
    table = payload.get("table", {}) if isinstance(payload, dict) else {}
    cols = table.get("columnNames") or []
    return [dict(zip(cols, row, strict=False)) for row in table.get("rows") or []]


def list_datasets(server: str, search: str | None = None) -> list[dict[str, Any]]:
    """Listing rows (``Dataset ID``, ``Title``, ``griddap``/``tabledap`` links...)."""
    from portal.remote import http
    from portal.remote.erddap_urls import listing_url, search_url
    from portal.remote.hosts import UpstreamError

    url = search_url(server, search) if search else listing_url(server)
    try:
        rows = _rows(http.fetch_json(url))
    except NoDataInSelection:  # ERDDAP's 404 "Your query produced no matching results"
        return []
    except UpstreamError as exc:
        if exc.status != 404:
            raise
        raise UpstreamError(f"{exc.host} has no ERDDAP dataset listing at {url} (HTTP 404)",
                            host=exc.host, kind=exc.kind, status=404, hint=(
                                "check the server's base URL: it ends with /erddap (e.g. "
                                "https://erddap.ifremer.fr/erddap), without /index.html or "
                                "/tabledap")) from exc
    return [r for r in rows if r.get("Dataset ID") and r.get("Dataset ID") != "allDatasets"]


def find_doi(attrs: dict[str, Any]) -> str:
    """A DOI (``10.xxxx/...``) from doi, id, references or citation attributes."""
    for key in ("doi", "DOI", "id", "identifier", "product_doi", "references", "citation"):
        found = _DOI.search(str(attrs.get(key, "")))
        if found:
            return found.group(1)
    return ""


def _iso(value: Any) -> str:
    if isinstance(value, float | int):
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")


def _coverage(info) -> tuple[list[float] | None, list[str] | None, list[float] | None]:
    g = info.globals

    def num(*keys):
        for key in keys:
            if isinstance(g.get(key), float):
                return g[key]
        return None

    lon = info.get(info.role("longitude") or "")
    lat = info.get(info.role("latitude") or "")
    west, east = num("geospatial_lon_min", "Westernmost_Easting"), num(
        "geospatial_lon_max", "Easternmost_Easting")
    south, north = num("geospatial_lat_min", "Southernmost_Northing"), num(
        "geospatial_lat_max", "Northernmost_Northing")
    if west is None and lon is not None and lon.actual_range:
        west, east = lon.actual_range
    if south is None and lat is not None and lat.actual_range:
        south, north = lat.actual_range
    bbox = None
    if west is not None and east is not None and south is not None and north is not None:
        bbox = _known_extent(west, south, east, north)
    start, end = g.get("time_coverage_start"), g.get("time_coverage_end")
    time_var = info.get(info.role("time") or "")
    if not start and time_var is not None and time_var.actual_range:
        start, end = time_var.actual_range
    tcov = [_iso(start), _iso(end)] if start else None
    zmin, zmax = num("geospatial_vertical_min"), num("geospatial_vertical_max")
    zcov = [zmin, zmax] if zmin is not None and zmax is not None else None
    return bbox, tcov, zcov


def _known_extent(west: float, south: float, east: float, north: float) -> list[float] | None:
    """[W, S, E, N] with each impossible bound (-999.999 fills, latitudes beyond the poles)
    taken as unknown, i.e. the widest possible; None when nothing sensible is left."""
    west = west if -180.0 <= west <= 360.0 else -180.0
    east = east if -180.0 <= east <= 360.0 else 180.0
    south = south if -90.0 <= south <= 90.0 else -90.0
    north = north if -90.0 <= north <= 90.0 else 90.0
    return [west, south, east, north] if south <= north else None


def extent_warnings(info) -> list[str]:
    """The impossible geospatial attributes a server reported (the harvest ignores them)."""
    limits = {"geospatial_lon_min": 360, "geospatial_lon_max": 360, "geospatial_lat_min": 90,
              "geospatial_lat_max": 90}
    out = []
    for key, limit in limits.items():
        value = info.globals.get(key)
        if isinstance(value, float) and not -limit <= value <= limit:
            out.append(f"the server reports {key} = {value:g}, an impossible value: the extent "
                       "is treated as unknown (fix the dataset's global attributes on the server)")
    return out


def _variables(info) -> list[dict[str, str]]:
    if info.protocol == "griddap":
        from portal.processing.variables import rank

        names = sorted((n for n, v in info.variables.items() if v.numeric),
                       key=lambda n: rank(n, info.variables[n].attrs))
    else:
        names = info.data_variables()
    out = []
    for name in names:
        var = info.variables[name]
        item = VariableInfo(name=name, long_name=var.text("long_name"),
                            standard_name=var.text("standard_name"), units=var.text("units"),
                            qc=info.qc_for(name) or "")
        out.append(item.to_dict())
    return out


def entry_id(dataset_id: str, prefix: str = "") -> str:
    """A catalog id: ``prefix + datasetID`` with anything but ``[A-Za-z0-9_]`` as ``_``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}{dataset_id}")


def entry_from_info(server: str, info, row: dict[str, Any] | None = None,
                    prefix: str = "") -> DatasetEntry:
    """A catalog entry for one dataset from its info (and listing row)."""
    row = row or {}
    g = info.globals
    cdm = re.sub(r"[\s_-]", "", str(g.get("cdm_data_type") or g.get("featureType") or "")).lower()
    bbox, tcov, zcov = _coverage(info)
    meta = {
        "title": g.get("title") or row.get("Title") or info.dataset_id,
        "summary": g.get("summary") or row.get("Summary") or "",
        "institution": g.get("institution") or row.get("Institution") or "",
        "license": g.get("license") or "",
        "doi": find_doi(g),
        "featureType": _CDM.get(cdm, "grid" if info.protocol == "griddap" else "point"),
        "platform_type": g.get("platform") or g.get("platform_type") or "",
        "variables": _variables(info),
        "bbox": bbox, "time_coverage": tcov, "vertical_coverage": zcov,
        "project": g.get("project") or "",
        "data_warnings": extent_warnings(info),
        "references": g.get("infoUrl") or g.get("references") or "",
        "source_format": f"ERDDAP {info.protocol} ({g.get('cdm_data_type') or 'no cdm_data_type'})",
    }
    meta = {k: v for k, v in meta.items() if v not in ("", None, [])}
    args = {"server": server, "dataset_id": info.dataset_id, "protocol": info.protocol}
    return DatasetEntry.from_metadata(entry_id(info.dataset_id, prefix), "erddap", args, meta)


_LISTING_VAR = re.compile(r"(\w+)(?: \(([^()]*)\))?")
_AXES = ("time", "latitude", "longitude", "depth", "altitude", "pres", "juld")
_AXIS_UNITS = ("degrees_north", "degrees_east", "UTC")


def listing_details(summary: str) -> tuple[str, str, list[dict[str, str]]]:
    """(summary text, cdm_data_type, variables) from a listing row's Summary.

    ERDDAP appends ``cdm_data_type = X VARIABLES: name (long name, units) ...`` to
    the summaries of its listing; the variables keep their long names and units.
    """
    text, _, tail = summary.partition("cdm_data_type = ")
    found = re.match(r"(\w+)\s*(?:VARIABLES[^:]*:)?(.*)", tail, re.S)
    cdm, rest = (found.group(1), found.group(2)) if found else ("", "")
    variables = []
    for name, inner in _LISTING_VAR.findall(rest):
        parts = [p.strip() for p in inner.split(",")] if inner else []
        one_unit = len(parts) == 1 and (re.search(r"[/_^\-\d]", parts[0]) or len(parts[0]) <= 4)
        units = parts[-1] if len(parts) > 1 or one_unit else ""
        long_name = parts[0] if parts and not one_unit else ""
        if name.lower() in _AXES or not (units or long_name) or "since" in units \
                or units in _AXIS_UNITS or re.search(r"_qc|_err|^err_", name, re.I):
            continue
        variables.append(VariableInfo(name=name, long_name=long_name, units=units).to_dict())
    variables.sort(key=lambda v: "units" not in v)  # measured values (with units) first
    return text.strip(), cdm.strip(), variables


def entry_from_row(server: str, row: dict[str, Any], note: str, prefix: str = "") -> DatasetEntry:
    """A listing-only entry (title, summary, institution, variables) when info is unreadable."""
    dataset_id = str(row["Dataset ID"])
    protocol = "griddap" if row.get("griddap") else "tabledap"
    summary, cdm, variables = listing_details(str(row.get("Summary") or ""))
    key = re.sub(r"[\s_-]", "", cdm).lower()
    meta = {"title": row.get("Title") or dataset_id, "summary": summary,
            "institution": row.get("Institution") or "",
            "featureType": _CDM.get(key, "grid" if protocol == "griddap" else "point"),
            "variables": variables,
            "source_format": f"ERDDAP {protocol}, metadata from the server listing ({note})"}
    args = {"server": server, "dataset_id": dataset_id, "protocol": protocol}
    return DatasetEntry.from_metadata(entry_id(dataset_id, prefix), "erddap", args,
                                      {k: v for k, v in meta.items() if v})


def _harvest_one(server: str, row: dict[str, Any], prefix: str) -> tuple[DatasetEntry, str]:
    from portal.sources.erddap import dataset_info

    dataset_id = str(row["Dataset ID"])
    try:
        return entry_from_info(server, dataset_info(server, dataset_id), row, prefix), ""
    except PortalError as exc:
        log.debug("%s: info unavailable (%s); keeping the listing metadata", dataset_id, exc)
        return entry_from_row(server, row, f"info unavailable: {exc.reason}", prefix), str(exc)


def harvest_erddap(server: str, *, search: str | None = None,
                   dataset_ids: Iterable[str] | None = None,
                   prefix: str = "") -> tuple[list[DatasetEntry], list[str]]:
    """Entries for the datasets of ``server`` (all, found by ``search``, or ``dataset_ids``).

    Returns ``(entries, problems)``; raises PortalError when the listing itself fails.
    """
    from concurrent.futures import ThreadPoolExecutor

    from portal.remote.config import remote_config
    from portal.remote.erddap_urls import check_dataset_id, check_server

    server = check_server(server)
    if dataset_ids:
        rows = [{"Dataset ID": check_dataset_id(i)} for i in dict.fromkeys(dataset_ids)]
    else:
        rows = list_datasets(server, search)
    workers = max(1, remote_config().max_per_host)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda r: _harvest_one(server, r, prefix), rows))
    return [e for e, _ in results], [p for _, p in results if p]


def add_commands(catalog_subparsers) -> None:
    """Register ``from-erddap`` under the ``catalog`` command group."""
    parser = catalog_subparsers.add_parser(
        "from-erddap", help="harvest an ERDDAP server into a catalog file",
        description="Harvest an ERDDAP server's listing and dataset info into catalog entries.")
    parser.add_argument("url", help="the server's base URL, e.g. https://erddap.ifremer.fr/erddap")
    parser.add_argument("--search", metavar="TEXT",
                        help="only datasets matching a full-text search")
    parser.add_argument("--dataset-id", dest="dataset_ids", metavar="ID", action="extend",
                        nargs="+", help="only these datasets (skips the listing)")
    parser.add_argument("--prefix", default="", help="prefix of the catalog ids")
    parser.add_argument("--title", default="", help="catalog title")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="catalog file to write")
    parser.set_defaults(func=run_from_erddap)


def run_from_erddap(args: argparse.Namespace) -> int:
    """Run the harvest; print a summary; 0 on success, 1 on failure."""
    from portal.catalog.loader import write_catalog

    try:
        entries, problems = harvest_erddap(args.url, search=args.search,
                                           dataset_ids=args.dataset_ids, prefix=args.prefix)
        if not entries:
            found = f" matching {args.search!r}" if args.search else ""
            print(f"no dataset{found} found on {args.url}", file=sys.stderr)
            return 1
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        path = write_catalog(entries, args.output, title=args.title or f"ERDDAP {args.url}",
                             description=f"Harvested from {args.url} on {when}")
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem, count in Counter(problems).most_common():
        print(f"warning: {count} dataset(s): {problem}", file=sys.stderr)
    print(f"wrote {len(entries)} datasets to {path}"
          + (f" ({len(problems)} with listing metadata only)" if problems else ""))
    return 0
