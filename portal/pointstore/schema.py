"""Columns, compact types, parameter names and QC classes of the point store.

Every part file has the fixed columns of :data:`BASE_COLUMNS` (positions as float32 — about
2 m at the date line —, time in whole seconds, the vertical coordinate as float32 pressure in
dbar or depth in m, positive down) and, for each parameter, a float32 value column and an int8
flag column ``<P>_qc`` (-1 = no flag). Parameters get their Argo names (TEMP, PSAL, DOXY...)
whatever the source called them (:func:`canonical_parameter`). Flags, whatever their scheme,
fall into five QC classes (:data:`QC_CLASSES`), which the overviews count separately and the
QC presets select: ``good`` keeps classes good and unflagged (portal rule: presets never hide
data that carry no flags), ``good_probably`` adds probably good, ``all`` keeps everything.
"""

from __future__ import annotations

import numpy as np

from portal.vocab import NO_FLAG, p01_standard_name

#: fixed columns and their Parquet types (as strings understood by :func:`arrow_schema`).
BASE_COLUMNS: dict[str, str] = {
    "platform": "dictionary",
    "cycle": "int32",
    "time": "timestamp[s]",
    "longitude": "float32",
    "latitude": "float32",
    "z": "float32",
    "z_qc": "int8",
    "source": "int32",
}

QC_CLASSES = ("good", "probably_good", "bad", "other", "unflagged")
GOOD, PROBABLY_GOOD, BAD, OTHER, UNFLAGGED = range(5)
N_CLASSES = len(QC_CLASSES)
#: QC preset -> classes kept
PRESET_CLASSES: dict[str, tuple[int, ...]] = {
    "good": (GOOD, UNFLAGGED),
    "good_probably": (GOOD, PROBABLY_GOOD, UNFLAGGED),
    "all": tuple(range(N_CLASSES)),
}

# flag (Argo / SeaDataNet / generic 0-9 scale, letters A=10 Q=11 B=12) -> class
_FLAG_CLASS = {1: GOOD, 2: PROBABLY_GOOD, 5: PROBABLY_GOOD, 8: PROBABLY_GOOD, 3: BAD, 4: BAD}

#: canonical parameter -> metadata written in the manifest when a source has none
KNOWN_PARAMETERS: dict[str, dict[str, str]] = {
    "TEMP": {"standard_name": "sea_water_temperature", "units": "degree_Celsius",
             "long_name": "Sea temperature in-situ ITS-90 scale"},
    "PSAL": {"standard_name": "sea_water_practical_salinity", "units": "psu",
             "long_name": "Practical salinity"},
    "DOXY": {"standard_name": "moles_of_oxygen_per_unit_mass_in_sea_water",
             "units": "micromole/kg", "long_name": "Dissolved oxygen"},
    "CNDC": {"standard_name": "sea_water_electrical_conductivity", "units": "mhos/m",
             "long_name": "Electrical conductivity"},
    "CHLA": {"standard_name": "mass_concentration_of_chlorophyll_a_in_sea_water",
             "units": "mg/m3", "long_name": "Chlorophyll-A"},
    "NITRATE": {"standard_name": "moles_of_nitrate_per_unit_mass_in_sea_water",
                "units": "micromole/kg", "long_name": "Nitrate"},
    "PH_IN_SITU_TOTAL": {"standard_name": "sea_water_ph_reported_on_total_scale",
                         "units": "dimensionless", "long_name": "pH"},
    "BBP700": {"standard_name": "", "units": "m-1",
               "long_name": "Particle backscattering at 700 nanometers"},
}
_BY_STANDARD_NAME = {
    meta["standard_name"]: name for name, meta in KNOWN_PARAMETERS.items() if meta["standard_name"]
}
_BY_STANDARD_NAME["sea_water_salinity"] = "PSAL"
_NAME_HINTS = {
    "temp": "TEMP", "temperature": "TEMP", "sea_water_temperature": "TEMP",
    "psal": "PSAL", "salinity": "PSAL", "sal": "PSAL",
    "doxy": "DOXY", "oxygen": "DOXY", "cndc": "CNDC", "chla": "CHLA", "nitrate": "NITRATE",
    "bbp700": "BBP700", "ph_in_situ_total": "PH_IN_SITU_TOTAL",
}


def canonical_parameter(name: str, standard_name: str = "") -> str | None:
    """Store name of a source variable (Argo-style), or None if the store does not keep it.

    ``temp_adjusted``, ``TEMPPR01`` (a SeaDataNet P01 code, or any name with standard_name
    sea_water_temperature) and ``temperature (Celsius)`` all become ``TEMP``.
    """
    standard_name = standard_name or p01_standard_name(name)
    if standard_name in _BY_STANDARD_NAME:
        return _BY_STANDARD_NAME[standard_name]
    low = name.lower().split(" (")[0].strip()
    low = low.removesuffix("_adjusted")
    if low.upper() in KNOWN_PARAMETERS:
        return low.upper()
    return _NAME_HINTS.get(low)


def flag_class_table() -> np.ndarray:
    """uint8[256] lookup: int8 flag (viewed as uint8, so -1 is 255) -> QC class."""
    table = np.full(256, OTHER, dtype=np.uint8)
    for flag, cls in _FLAG_CLASS.items():
        table[flag] = cls
    table[NO_FLAG & 0xFF] = UNFLAGGED
    return table


def preset_mask_table(preset: str) -> np.ndarray:
    """uint8[256] lookup: int8 flag (as uint8) -> 1 if the QC preset keeps it."""
    if preset not in PRESET_CLASSES:
        raise ValueError(f"unknown QC preset {preset!r}; use one of {', '.join(PRESET_CLASSES)}")
    classes = flag_class_table()
    return np.isin(classes, PRESET_CLASSES[preset]).astype(np.uint8)


def value_columns(params: list[str] | tuple[str, ...]) -> list[str]:
    """Value and flag column names of ``params``, in file order."""
    out: list[str] = []
    for p in params:
        out += [p, f"{p}_qc"]
    return out


def arrow_schema(params: list[str] | tuple[str, ...]):
    """The pyarrow schema of a part file holding ``params``."""
    import pyarrow as pa

    fields = [
        pa.field("platform", pa.dictionary(pa.int32(), pa.string())),
        pa.field("cycle", pa.int32()),
        pa.field("time", pa.timestamp("s")),
        pa.field("longitude", pa.float32()),
        pa.field("latitude", pa.float32()),
        pa.field("z", pa.float32()),
        pa.field("z_qc", pa.int8()),
        pa.field("source", pa.int32()),
    ]
    for p in params:
        fields += [pa.field(p, pa.float32()), pa.field(f"{p}_qc", pa.int8())]
    return pa.schema(fields)


def time_bins(seconds: np.ndarray, unit: str) -> np.ndarray:
    """Overview time bin of each time (int64 seconds since 1970): the year, or year*12+month-1."""
    t = np.asarray(seconds, dtype="int64").astype("datetime64[s]")
    if unit == "year":
        return t.astype("datetime64[Y]").astype("int64") + 1970
    if unit == "month":
        return t.astype("datetime64[M]").astype("int64") + 1970 * 12
    raise ValueError(f"unknown time bin {unit!r}; use 'year' or 'month'")


def time_bin_bounds(tbin: int, unit: str) -> tuple[int, int]:
    """[start, end) of a time bin in seconds since 1970."""
    if unit == "year":
        start = np.datetime64(f"{tbin:04d}-01-01", "s")
        end = np.datetime64(f"{tbin + 1:04d}-01-01", "s")
    else:
        start = np.datetime64(int(tbin - 1970 * 12), "M").astype("datetime64[s]")
        end = np.datetime64(int(tbin + 1 - 1970 * 12), "M").astype("datetime64[s]")
    return int(start.astype("int64")), int(end.astype("int64"))
