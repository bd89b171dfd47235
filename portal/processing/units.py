"""Units of variables drawn together: which agree in kind, and conversion to a common one.

A combined view (several datasets on one axis) draws their values in one unit when they
agree in kind: temperatures (°C, K), practical salinity (psu, PSS-78, ``1e-3``, ``0.001``
are the same scale) and vertical coordinates (metres of depth, positive down, and sea
pressure in dbar, converted with TEOS-10 ``gsw.z_from_p`` / ``gsw.p_from_z`` at the
observation's latitude). :func:`quantity` names the kind and canonical unit of a units
text, :func:`common_unit` the unit several variables can share (None: separate axes) and
:func:`convert` converts values. :func:`salinity_scale` and :func:`temperature_unit` are the
one permissive reading of the salinity and temperature units real files write
(``p.s.u.``, ``dimensionless``, ``celsius degree``...), shared with the T-S diagram
(:mod:`portal.processing.teos10`). numpy and gsw are imported inside the functions that
need them: importing this module stays light.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# (kind, canonical unit) of unit texts lower-cased without spaces, underscores or degree signs
_UNITS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("degc", "c", "celsius", "degreec", "degreesc", "degreecelsius",
                     "degreescelsius"), ("temperature", "degC")),
    **dict.fromkeys(("k", "kelvin", "degk", "degreek", "degreekelvin", "degreeskelvin"),
                    ("temperature", "K")),
    **dict.fromkeys(("psu", "p.s.u.", "p.s.u", "pss-78", "pss78", "pss", "1e-3", "0.001",
                     "10-3", "10^-3", "ppt", "practicalsalinity", "practicalsalinityunit",
                     "practicalsalinityunits", "practicalsalinityscale"), ("salinity", "psu")),
    **dict.fromkeys(("dbar", "decibar", "decibars", "db"), ("vertical", "dbar")),
    **dict.fromkeys(("m", "meter", "meters", "metre", "metres"), ("vertical", "m")),
}
KELVIN = 273.15
PREFERRED = {"temperature": "degC", "salinity": "psu"}  # else the first variable's unit


#: unit texts that say "no unit": practical salinity only on a variable that is salinity
_UNITLESS = frozenset({"", "1", "dimensionless", "unitless", "nondimensional", "none", "-",
                       "n/a", "na"})
_GRAMS_PER_KG = frozenset({"g/kg", "gkg-1", "gkg^-1", "g.kg-1", "gramsperkilogram",
                           "g/kgsw"})
_ABSOLUTE_STANDARD = "sea_water_absolute_salinity"
_PRACTICAL_STANDARD = ("sea_water_practical_salinity", "sea_water_salinity")


def _key(units: str) -> str:
    """Units lower-cased without spaces, underscores, degree signs or a trailing scale
    in brackets (``"deg C (ITS-90)"`` → ``"degc"``, ``"PSU (PSS-78)"`` → ``"psu"``)."""
    text = re.sub(r"\s*[(\[](its-?90|ipts-?68|pss-?78|teos-?10)[)\]]\s*$", "",
                  str(units or "").strip().lower())
    return re.sub(r"[\s_°º]", "", text)


def salinity_scale(units: str, standard_name: str = "", name: str = "") -> str | None:
    """``"practical"`` (PSS-78) or ``"absolute"`` (TEOS-10 Sᴀ, g/kg) for the units a
    salinity variable is written in, None when they are not a salinity unit.

    Permissive, as real files are: ``psu``, ``PSU``, ``p.s.u.``, ``PSS-78``, ``pss78``,
    ``1e-3``, ``0.001`` are practical; so are ``1``, ``dimensionless`` and no units at all
    on a variable the caller has recognised as salinity. ``g/kg`` is absolute salinity
    with the standard name ``sea_water_absolute_salinity`` or a name saying "absolute";
    otherwise (``g/kg`` under a practical standard name, or a plain "salinity" from
    before TEOS-10) it is read as practical salinity."""
    std = str(standard_name or "").strip().lower()
    key = _key(units)
    absolute = std == _ABSOLUTE_STANDARD or (
        not std and "absolute" in str(name).lower())
    if key in _GRAMS_PER_KG:
        return "absolute" if absolute or not std and not name else "practical"
    if absolute and key in _UNITLESS | {"1e-3", "0.001", "10-3"}:
        return "absolute"
    found = quantity(units)
    if (found and found[0] == "salinity") or "psu" in key or "pss" in key:
        return "practical"
    return "practical" if key in _UNITLESS else None


def temperature_unit(units: str) -> str | None:
    """``"degC"`` or ``"K"`` for the units a temperature is written in (``degree_Celsius``,
    ``celsius degree``, ``Deg.C``, ``deg C (ITS-90)``; none at all is read as °C), None for
    any other unit (°F and the like are refused, not guessed)."""
    key = _key(units).replace(".", "")
    found = _UNITS.get(key)
    if found and found[0] == "temperature":
        return found[1]
    if not key or "celsius" in key or re.fullmatch(r"(deg(ree)?s?)?c(deg(ree)?s?)?", key):
        return "degC"
    if "kelvin" in key:
        return "K"
    return None


def quantity(units: str) -> tuple[str, str] | None:
    """(kind, canonical unit) of a units text — ``("temperature", "K")`` for ``"kelvin"`` —
    or None when the portal does not convert it. Temperatures written other ways
    (``celsius degree``, ``Deg.C``) are read as :func:`temperature_unit` reads them."""
    key = _key(units)
    found = _UNITS.get(key)
    if found is None and key:
        unit = temperature_unit(units)
        found = ("temperature", unit) if unit else None
    return found


def same_unit(a: str, b: str) -> bool:
    """Whether two unit texts mean the same unit (``psu`` and ``PSS-78`` do)."""
    qa, qb = quantity(a), quantity(b)
    return (qa is not None and qa == qb) or _key(a) == _key(b)


def common_unit(units: list[str]) -> str | None:
    """The unit values of all these units can be drawn in: the first one's canonical unit
    when all agree in kind (``["dbar", "m"]`` → ``"dbar"``; temperatures in ``degC``); the text itself when all are the
    same unconverted unit; None when they differ in kind (draw them on separate axes)."""
    if not units:
        return None
    kinds = [quantity(u) for u in units]
    if all(k is not None for k in kinds) and len({k[0] for k in kinds if k}) == 1:
        first = kinds[0]
        return PREFERRED.get(first[0], first[1]) if first else None
    if len({_key(u) for u in units}) == 1:
        return units[0]
    return None


def convert(values: Any, from_units: str, to_units: str,
            latitude: Any = None) -> np.ndarray:
    """``values`` in ``to_units``: K↔°C, psu-like units as they are, depth (m, positive
    down) ↔ sea pressure (dbar) through TEOS-10 at ``latitude`` (degrees; required then).
    Raises ValueError for units that do not agree in kind."""
    import numpy as np

    data = np.asarray(values, dtype="float64")
    if same_unit(from_units, to_units):
        return data
    src, dst = quantity(from_units), quantity(to_units)
    if src is None or dst is None or src[0] != dst[0]:
        raise ValueError(f"cannot convert {from_units!r} to {to_units!r}")
    if src[0] == "temperature":
        return data + KELVIN if dst[1] == "K" else data - KELVIN
    if latitude is None:
        raise ValueError("depth/pressure conversion needs the latitude")
    return _vertical(data, src[1], np.asarray(latitude, dtype="float64"))


def _vertical(data: np.ndarray, src: str, latitude: np.ndarray) -> np.ndarray:
    """Depth (m, positive down) from pressure (dbar), or the reverse, with gsw (TEOS-10)."""
    import gsw  # only combined views that mix depth and pressure need it

    if src == "dbar":
        return -gsw.z_from_p(data, latitude)
    return gsw.p_from_z(-data, latitude)
