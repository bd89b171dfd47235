"""ERDDAP ``/info/<datasetID>/index.json`` (or ``.csv``) parsed into typed records.

An info table lists the dataset's global attributes, its variables (with type,
attributes and, for griddap, dimensions) and griddap axes (``nValues``,
``averageSpacing``). :class:`ERDDAPInfo` is what URL builders validate variable
names against and what the harvester turns into catalog metadata. Pure: no IO.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from portal.errors import SourceUnavailable

_NUMERIC = {"double", "float", "int", "short", "byte", "long", "ubyte", "ushort", "uint",
            "ulong"}
_ITEMSIZE = {"double": 8, "long": 8, "ulong": 8, "float": 4, "int": 4, "uint": 4, "short": 2,
             "ushort": 2, "byte": 1, "ubyte": 1, "char": 1, "String": 1}
_Z_NAMES = ("depth", "altitude", "pres", "pressure", "z", "lev", "level", "deph")
_Z_STD = ("depth", "altitude", "sea_water_pressure", "height")
_ARGO_PARAMETER = re.compile(r"^(temp|psal|pres|doxy|chla|bbp\d+|cdom|nitrate|ph_in_situ_total|"
                             r"cndc|down_irradiance\d+|downwelling_par)(_adjusted)?$", re.I)
_NOT_DATA = re.compile(r"_qc($|_)|_flag|_error$|^rowsize$|^filenumber$", re.I)


def _value(dtype: str, text: str) -> Any:
    if dtype in _NUMERIC and text:
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            return text
        return values[0] if len(values) == 1 else values
    return text


@dataclass
class ERDDAPVariable:
    """One variable (or griddap axis) of an ERDDAP dataset."""

    name: str
    dtype: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)
    dims: tuple[str, ...] = ()
    n_values: int | None = None
    spacing: float | None = None

    @property
    def itemsize(self) -> int:
        return _ITEMSIZE.get(self.dtype, 8)

    @property
    def numeric(self) -> bool:
        return self.dtype in _NUMERIC

    def text(self, key: str) -> str:
        value = self.attrs.get(key, "")
        return "" if isinstance(value, list | float) else str(value)

    @property
    def actual_range(self) -> tuple[float, float] | None:
        value = self.attrs.get("actual_range")
        if isinstance(value, list) and len(value) == 2:
            return (min(value), max(value))
        return None


@dataclass
class ERDDAPInfo:
    """A dataset's info: global attributes, variables and (griddap) axes, in server order."""

    dataset_id: str
    globals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, ERDDAPVariable] = field(default_factory=dict)
    axes: dict[str, ERDDAPVariable] = field(default_factory=dict)

    @property
    def protocol(self) -> str:
        return "griddap" if self.axes else "tabledap"

    def names(self) -> list[str]:
        """Every variable name a request may use (axes included)."""
        return [*self.axes, *self.variables]

    def get(self, name: str) -> ERDDAPVariable | None:
        return self.variables.get(name) or self.axes.get(name)

    def role(self, role: str) -> str | None:
        """Name of the time, latitude, longitude or z variable/axis, or None."""
        candidates = list(self.axes.values()) + list(self.variables.values())
        if role == "z":
            proxy = str(self.globals.get("cdm_altitude_proxy", ""))
            if proxy and self.get(proxy):
                return proxy
        for var in candidates:
            std, units = var.text("standard_name").lower(), var.text("units").lower()
            if role == "time" and (std == "time" or var.name == "time") and var.numeric:
                return var.name
            if role in ("latitude", "longitude") and (std == role or var.name == role):
                return var.name
            if role == "z" and (std in _Z_STD or var.name.lower() in _Z_NAMES) and var.numeric \
                    and "since" not in units:
                return var.name
        return None

    def data_variables(self) -> list[str]:
        """Measured numeric variables, core EOVs first (never the server's alphabetical
        order): no axes, times, QC flags, errors, ids or counters. Real datasets publish
        measurements with only a ``long_name`` or ``ioos_category``: those count too."""
        from portal.processing.variables import is_bookkeeping, rank

        roles = {self.role(r) for r in ("time", "latitude", "longitude", "z")}
        out = []
        for name, var in self.variables.items():
            units, std = var.text("units"), var.text("standard_name")
            if name in roles or not var.numeric or _NOT_DATA.search(name) or "since" in units:
                continue
            if var.text("cf_role") or std in _Z_STD or is_bookkeeping(name, var.attrs):
                continue
            if not (units or std or var.text("long_name") or var.text("ioos_category")
                    or _ARGO_PARAMETER.match(name)):
                continue
            out.append(name)
        return sorted(out, key=lambda n: rank(n, self.variables[n].attrs))

    def qc_for(self, name: str) -> str | None:
        for candidate in (f"{name}_qc", f"{name}_QC", f"{name.upper()}_QC"):
            if candidate in self.variables:
                return candidate
        return None


def _rows_from_csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][:2] != ["Row Type", "Variable Name"]:
        raise ValueError("not an ERDDAP info table")
    return rows[1:]


def parse_info(dataset_id: str, payload: dict | str) -> ERDDAPInfo:
    """Parse an info answer (decoded JSON dict, or CSV text) into :class:`ERDDAPInfo`."""
    try:
        rows = _rows_from_csv(payload) if isinstance(payload, str) else payload["table"]["rows"]
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceUnavailable(f"the server's info on {dataset_id!r} is not an ERDDAP info "
                                "table", dataset=dataset_id) from exc
    info = ERDDAPInfo(dataset_id)
    for row in rows:
        kind, name, attr, dtype, value = (list(row) + [""] * 5)[:5]
        value = "" if value is None else str(value)
        if kind == "dimension":
            info.axes[name] = _axis(name, dtype, value)
        elif kind == "variable":
            dims = tuple(d.strip() for d in value.split(",") if d.strip())
            info.variables[name] = ERDDAPVariable(name, dtype, dims=dims)
        elif kind == "attribute":
            if name == "NC_GLOBAL":
                info.globals[attr] = _value(dtype, value)
            else:
                target = info.get(name)
                if target is not None:
                    target.attrs[attr] = _value(dtype, value)
    return info


def _axis(name: str, dtype: str, value: str) -> ERDDAPVariable:
    """A griddap axis from 'nValues=60, evenlySpaced=true, averageSpacing=1 day'."""
    n = re.search(r"nValues=(\d+)", value)
    spacing = re.search(r"averageSpacing=(-?)", value)
    sign = -1.0 if spacing and spacing.group(1) == "-" else 1.0
    return ERDDAPVariable(name, dtype, n_values=int(n.group(1)) if n else None, spacing=sign)
