"""Vocabularies shared by the readers, the CF helpers, QC and cataloguing: one table each.

Quality-flag schemes (Argo reference table 2, SeaDataNet L20, IOOS QARTOD and the
portal's generic 0-9 scale) with the flags each QC preset keeps; how the flag schemes
that ODV spreadsheets name in their ``QV:<scheme>`` columns (ODV, WOD, WOCE, GTSPP...)
map onto those; the SeaDataNet P01 parameter codes the portal turns into CF standard
names; the suffixes that name QC variables; and the GOOS Essential Ocean Variables
(EOVs) a variable belongs to. Plain Python data only: importing this module costs
nothing, so every layer of the package may use it. Flags are int8 everywhere, with
:data:`NO_FLAG` (-1) for "no flag" and letters (SeaDataNet ``A``, ``Q``, ``B``) as 10-12.
"""

from __future__ import annotations

import re

NO_FLAG = -1
#: SeaDataNet letter flags -> their int8 codes.
LETTERS: dict[str, int] = {"A": 10, "Q": 11, "B": 12}

#: flag scheme -> flag -> meaning.
FLAG_SCHEMES: dict[str, dict[int, str]] = {
    "argo": {
        0: "no QC", 1: "good", 2: "probably good", 3: "probably bad", 4: "bad",
        5: "value changed", 8: "estimated", 9: "missing",
    },
    "seadatanet": {
        0: "no QC", 1: "good", 2: "probably good", 3: "probably bad", 4: "bad",
        5: "changed", 6: "below detection", 7: "in excess", 8: "interpolated", 9: "missing",
        10: "below detection (A)", 11: "below quantification (Q)",
    },
    "qartod": {1: "pass", 2: "not evaluated", 3: "suspect", 4: "fail", 9: "missing"},
    "generic": {0: "no QC", 1: "good", 2: "probably good", 3: "probably bad", 4: "bad",
                9: "missing"},
}

#: QC preset -> scheme -> flags kept (None: everything). QARTOD's "not evaluated" (2) is
#: kept with the probably-good flags: presets never hide data nobody has looked at.
QC_PRESET_FLAGS: dict[str, dict[str, set[int] | None]] = {
    "good": {"argo": {1}, "seadatanet": {1}, "qartod": {1}, "generic": {1}},
    "good_probably": {"argo": {1, 2, 5, 8}, "seadatanet": {1, 2, 5, 8}, "qartod": {1, 2},
                      "generic": {1, 2}},
    "all": {"argo": None, "seadatanet": None, "qartod": None, "generic": None},
}

#: ODV ``QV:<scheme>`` name -> (portal scheme, raw flag -> flag on that scheme; None: as is).
ODV_FLAG_SCHEMES: dict[str, tuple[str, dict[int, int] | None]] = {
    "SEADATANET": ("seadatanet", None),
    "ARGO": ("argo", None),
    "QARTOD": ("qartod", None),
    "GTSPP": ("generic", None),
    "ODV": ("generic", {0: 1, 1: 0, 4: 3, 8: 4}),
    "WOD": ("generic", {0: 1, **{code: 4 for code in range(1, 10)}}),
    "WOCE": ("generic", {1: 0, 2: 1, 3: 3, 4: 4, 5: 9, 6: 2, 7: 2, 8: 2, 9: 9}),
}

#: Suffixes of QC variables after the measured variable's name, in the order they are tried.
QC_SUFFIXES = ("_QC", "_qc", "_SEADATANET_QC", "_quality_flag", "_WODflag", "_flag")

#: SeaDataNet P01 code -> CF standard name (the codes the portal names today).
P01_STANDARD_NAMES: dict[str, str] = {
    "TEMPPR01": "sea_water_temperature", "TEMPS901": "sea_water_temperature",
    "TEMPST01": "sea_water_temperature", "PSALST01": "sea_water_practical_salinity",
    "PSLTZZ01": "sea_water_practical_salinity", "PSALPR01": "sea_water_practical_salinity",
    "ADEPZZ01": "depth",
}
#: P01 codes of a depth (m, positive down) and of a sea-water pressure (dbar) column.
P01_DEPTH_CODES = frozenset({"ADEPZZ01", "DEPHPR01"})
P01_PRESSURE_CODES = frozenset({"PRESPR01"})
#: P01 code of an ISO 8601 date-time column.
P01_TIME_CODE = "DTUT8601"

# (pattern on standard_name, EOV); "{level}" becomes "Sea surface" or "Subsurface".
EOV_BY_STANDARD_NAME: tuple[tuple[str, str], ...] = (
    (r"^sea_surface_(skin_|subskin_|foundation_)?temperature", "Sea surface temperature"),
    (r"sea_water_(potential_|conservative_)?temperature", "{level} temperature"),
    (r"^sea_surface_salinity", "Sea surface salinity"),
    (r"sea_water_(practical_|absolute_|preformed_)?salinity", "{level} salinity"),
    (r"sea_surface_wave|sea_surface_swell_wave|sea_surface_wind_wave", "Sea state"),
    (r"^(tidal_)?(sea_surface_height|sea_surface_elevation|water_surface_height|sea_level)",
     "Sea surface height"),
    (r"sea_water_velocity|sea_water_speed|sea_water_to_direction|surface_geostrophic",
     "{level} currents"),
    (r"surface_downward_(x|y|eastward|northward)_stress|surface_wind_stress",
     "Ocean surface stress"),
    (r"surface_(downward|upward)_(heat|latent|sensible)|surface_net_downward_radiative",
     "Ocean surface heat flux"),
    (r"sea_ice", "Sea ice"),
    (r"sea_water_pressure_at_sea_floor|bottom_pressure", "Ocean bottom pressure"),
    (r"nitrous_oxide", "Nitrous oxide"),
    (r"oxygen", "Oxygen"),
    (r"nitrate|nitrite|phosphate|silicate|ammonium", "Nutrients"),
    (r"dissolved_organic_carbon", "Dissolved organic carbon"),
    (r"carbon|carbonate|alkalinity|sea_water_ph|partial_pressure_of_carbon_dioxide",
     "Inorganic carbon"),
    (r"chlorophyll|phytoplankton", "Phytoplankton biomass and diversity"),
    (r"zooplankton", "Zooplankton biomass and diversity"),
    (r"cfc11|cfc12|sulfur_hexafluoride|tritium", "Transient tracers"),
    (r"particulate|backscatter|turbidity|suspended", "Particulate matter"),
)
# (pattern on the lower-cased variable name or long_name, EOV) when no standard_name helps.
EOV_BY_NAME: tuple[tuple[str, str], ...] = (
    (r"^(sst|analysed_sst)", "Sea surface temperature"),
    (r"^temp|temperature", "{level} temperature"),
    (r"^(psal|sal|sss)|salinity", "{level} salinity"),
    (r"^(doxy|oxy|o2)|oxygen", "Oxygen"),
    (r"^(chla|chl|cphl)|chlorophyll", "Phytoplankton biomass and diversity"),
    (r"^aslv|^sea level|^sea_level|^ssh$", "Sea surface height"),
    (r"wave", "Sea state"),
    (r"current|^(u|v|ucur|vcur|hcsp|hcdt)$", "{level} currents"),
    (r"nitrate|phosphate|silicate|^ntra|^phos|^slca", "Nutrients"),
    (r"^(ph|phph|dic|talk|pco2)|alkalinity", "Inorganic carbon"),
)


def flag_meaning(flag: int, scheme: str) -> str:
    """Meaning of ``flag`` in ``scheme`` (the generic scale for unknown schemes)."""
    if flag == NO_FLAG:
        return "no flag"
    return FLAG_SCHEMES.get(scheme, FLAG_SCHEMES["generic"]).get(flag, "other")


def flag_attributes(scheme: str) -> tuple[list[int], str]:
    """CF ``flag_values`` and ``flag_meanings`` (words joined by underscores) of a scheme."""
    table = FLAG_SCHEMES.get(scheme, FLAG_SCHEMES["generic"])
    values = sorted(table)
    meanings = " ".join(re.sub(r"\W+", "_", table[k]).strip("_") for k in values)
    return values, meanings


def p01_standard_name(code: str) -> str:
    """CF standard name of a SeaDataNet P01 code (``SDN:P01::`` prefix allowed), or ''."""
    return P01_STANDARD_NAMES.get(code.rsplit(":", 1)[-1].strip().upper(), "")


def eov_for(standard_name: str, name: str = "", long_name: str = "", surface: bool = False) -> str:
    """GOOS Essential Ocean Variable of a variable ('' if none applies).

    The standard name decides when there is one (air_temperature is no EOV); the
    variable name and long name are only looked at for variables without one.
    """
    level = "Sea surface" if surface else "Subsurface"
    std = standard_name.lower()
    if std:
        return next((eov.format(level=level) for pattern, eov in EOV_BY_STANDARD_NAME
                     if re.search(pattern, std)), "")
    for text in (name.lower(), long_name.lower()):
        for pattern, eov in EOV_BY_NAME if text else ():
            if re.search(pattern, text):
                return eov.format(level=level)
    return ""
