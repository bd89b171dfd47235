"""Which variables of a dataset are its temperature and its salinity: one finder for the
offer of the T-S kinds (:meth:`portal.sources.base.Source.kinds`, from what the catalog
lists) and for the builders (:mod:`portal.processing.teos10`, from the opened data).

A variable is looked at through its name, ``standard_name``, ``long_name``, ``units`` and
SeaDataNet P01 code (its name, or ``sdn_parameter_urn``): CF standard names first
(in-situ, potential or conservative temperature; practical or absolute salinity), then
P01 codes (``TEMPPR01``, ``PSALST01``, ``PSLTZZ01``...), then the usual names in any case
(``TEMP``, ``Temperature``, ``practical_salinity``, ``SAL``...), then long names. ODV column
labels with their units in brackets (``"Salinity [psu]"``) are read as name and units.
QC, error and flag variables are never candidates. Plain Python: importing it costs
nothing, so the source layer can judge the offer without opening the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from portal.processing.units import salinity_scale, temperature_unit
from portal.vocab import p01_standard_name

_TEMP_STANDARD = {"sea_water_temperature": "insitu", "sea_water_potential_temperature":
                  "potential", "sea_water_conservative_temperature": "conservative"}
_SAL_STANDARD = ("sea_water_practical_salinity", "sea_water_salinity",
                 "sea_water_absolute_salinity")
_TEMP_NAMES = {"temp": "insitu", "temperature": "insitu", "t": "insitu", "sea_water_temperature":
               "insitu", "in_situ_temperature": "insitu", "insitu_temperature": "insitu",
               "water_temperature": "insitu", "temp_insitu": "insitu", "ctdtmp": "insitu",
               "t090c": "insitu", "tw": "insitu", "potential_temperature": "potential",
               "theta": "potential", "ptemp": "potential", "conservative_temperature":
               "conservative", "ct": "conservative"}
_SAL_NAMES = ("psal", "sal", "salinity", "practical_salinity", "s", "salt", "ctdsal",
              "sal00", "sea_water_salinity", "sea_water_practical_salinity", "psal_insitu",
              "absolute_salinity", "sa")
_NOT_DATA = re.compile(r"(_qc|qc|_flag|flags?|_err|_error|_std|_uncertainty|_count)$", re.I)
_BRACKETED = re.compile(r"^(.*?)\s*\[(.*)\]\s*$")


@dataclass(frozen=True)
class TSColumns:
    """The temperature and salinity variables of a dataset, and how to read them."""

    temperature: str
    salinity: str
    #: "insitu", "potential" or "conservative" temperature
    temperature_kind: str = "insitu"
    #: "practical" (PSS-78, → Sᴀ with gsw.SA_from_SP) or "absolute" (g/kg, Sᴀ itself)
    salinity_kind: str = "practical"


@dataclass(frozen=True)
class _Var:
    name: str
    base: str  # the name without an ODV "[units]" suffix, lower-cased
    standard: str
    long_name: str
    units: str


def _var(name: str, attrs: Mapping[str, Any]) -> _Var:
    base, units = name, str(attrs.get("units") or "")
    bracketed = _BRACKETED.match(name)
    if bracketed:
        base, units = bracketed.group(1), units or bracketed.group(2)
    std = str(attrs.get("standard_name") or "").strip().lower()
    std = std or p01_standard_name(str(attrs.get("sdn_parameter_urn") or "")) or \
        p01_standard_name(base)
    return _Var(name, base.strip().lower().replace(" ", "_").replace("-", "_"), std,
                str(attrs.get("long_name") or "").lower(), units)


def _temperature_kind(v: _Var) -> tuple[int, str] | None:
    """(rank, kind): lower ranks win; in-situ temperature before potential/conservative."""
    if v.standard in _TEMP_STANDARD:
        kind = _TEMP_STANDARD[v.standard]
        return (0 if kind == "insitu" else 3), kind
    if v.base in _TEMP_NAMES:
        kind = _TEMP_NAMES[v.base]
        return (1 if kind == "insitu" else 4), kind
    code = v.base.upper()
    if re.fullmatch(r"TEMP[A-Z0-9]{4}", code):  # P01 codes not in the vocabulary table
        return 2, "insitu"
    if re.fullmatch(r"POTM[A-Z0-9]{4}", code):
        return 4, "potential"
    words = v.long_name or v.base.replace("_", " ")
    if "temperature" in words and not re.search(r"\b(air|dew|skin|sky|brightness)\b", words):
        kind = ("potential" if "potential" in words else
                "conservative" if "conservative" in words else "insitu")
        return (2 if kind == "insitu" else 5), kind
    return None


def _salinity_rank(v: _Var) -> int | None:
    if v.standard in _SAL_STANDARD:
        return 0
    if v.base in _SAL_NAMES:
        return 1
    if re.fullmatch(r"(PSAL|PSLT|SSAL)[A-Z0-9]{4}", v.base.upper()):
        return 2
    if "salinity" in (v.long_name or v.base):
        return 3
    return None


def find_ts(variables: Iterable[tuple[str, Mapping[str, Any]]]) -> tuple[TSColumns | None, str]:
    """(columns, "") when ``variables`` — (name, attributes) pairs, in the dataset's order —
    hold a temperature and a salinity in units the T-S diagram reads; else (None, why not)."""
    candidates = [_var(str(n), a) for n, a in variables if not _NOT_DATA.search(str(n))]
    temps = sorted((r, i, v, k) for i, v in enumerate(candidates)
                   for r, k in [_temperature_kind(v) or (99, "")] if r < 99)
    sals = sorted((r, i, v) for i, v in enumerate(candidates)
                  for r in [_salinity_rank(v)] if r is not None)
    missing = [w for w, found in (("temperature", temps), ("salinity", sals)) if not found]
    if missing:
        return None, f"a T-S diagram needs temperature and salinity; no {' or '.join(missing)} here"
    _, _, temp, tkind = temps[0]
    _, _, sal = sals[0]
    if temperature_unit(temp.units) is None:
        return None, f"temperature {temp.name} in {temp.units!r}: expected °C or K"
    scale = salinity_scale(sal.units, sal.standard, sal.long_name or sal.base)
    if scale is None:
        return None, (f"salinity {sal.name} in {sal.units!r}: expected practical salinity "
                      "(PSU, PSS-78) or absolute salinity (g/kg)")
    return TSColumns(temp.name, sal.name, tkind, scale), ""
