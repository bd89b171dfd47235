"""Quality-control flags: schemes, presets and masks.

Two schemes matter to ODATIS users: the Argo reference table 2 (0–9) and the
SeaDataNet L20 scheme (0–9 plus ``A`` and ``Q``). Flags arrive as chars
(``b'1'``), integers or floats; :func:`qc_to_int` maps them all to int8 with -1
for "no flag". Presets choose which flags a quicklook keeps: ``good`` (1),
``good_probably`` (1, 2, plus changed/interpolated/estimated values) and ``all``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

NO_FLAG = -1
LETTERS = {"A": 10, "Q": 11, "B": 12}

SCHEMES: dict[str, dict[int, str]] = {
    "argo": {
        0: "no QC", 1: "good", 2: "probably good", 3: "probably bad", 4: "bad",
        5: "value changed", 8: "estimated", 9: "missing",
    },
    "seadatanet": {
        0: "no QC", 1: "good", 2: "probably good", 3: "probably bad", 4: "bad",
        5: "changed", 6: "below detection", 7: "in excess", 8: "interpolated", 9: "missing",
        10: "below detection (A)", 11: "below quantification (Q)",
    },
    "generic": {0: "no QC", 1: "good", 2: "probably good", 3: "probably bad", 4: "bad", 9: "missing"},
}

PRESETS: dict[str, dict[str, set[int] | None]] = {
    "good": {"argo": {1}, "seadatanet": {1}, "generic": {1}},
    "good_probably": {"argo": {1, 2, 5, 8}, "seadatanet": {1, 2, 5, 8}, "generic": {1, 2}},
    "all": {"argo": None, "seadatanet": None, "generic": None},
}

FLAG_COLORS = {
    NO_FLAG: "#9e9e9e", 0: "#bdbdbd", 1: "#1a9850", 2: "#91cf60", 3: "#fdae61", 4: "#d73027",
    5: "#4575b4", 6: "#8073ac", 7: "#e08214", 8: "#74add1", 9: "#525252", 10: "#b2abd2",
    11: "#c2a5cf",
}


def _convert(values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values)
    out = np.full(arr.shape, NO_FLAG, dtype="int8")
    if arr.dtype.kind in "SU" or arr.dtype.kind == "O":
        flat = arr.ravel()
        res = out.ravel()
        for i, val in enumerate(flat):
            text = val.decode("latin-1") if isinstance(val, bytes) else str(val)
            text = text.strip()
            if text.isdigit():
                res[i] = int(text)
            elif text.upper() in LETTERS:
                res[i] = LETTERS[text.upper()]
        return res.reshape(arr.shape)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr >= 0) & (arr < 100)
        if _ascii_codes(arr[ok]):
            codes = np.where(ok, arr, 32).astype("uint8").view("S1")
            return _convert_fast(codes)
    out[ok] = arr[ok].astype("int8")
    return out


def _ascii_codes(valid: np.ndarray) -> bool:
    """SeaDataNet NetCDF stores flags as byte codes of characters (49 = '1', 65 = 'A'):
    numeric flags of real schemes stay below 48, so values all in 48–90 are characters."""
    return valid.size > 0 and bool(((valid >= 48) & (valid <= 90)).all())


def _convert_fast(values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "S" and arr.dtype.itemsize == 1:
        # vectorised path for Argo's S1 char flags
        codes = arr.view("uint8").astype("int16")
        out = np.where((codes >= 48) & (codes <= 57), codes - 48, NO_FLAG)
        out = np.where(codes == ord("A"), LETTERS["A"], out)
        out = np.where(codes == ord("Q"), LETTERS["Q"], out)
        return out.astype("int8")
    return _convert(arr)


def qc_to_int(flags: xr.DataArray) -> xr.DataArray:
    """Flags of any storage (chars, ints, floats with NaN) as int8, -1 = no flag."""
    out = xr.apply_ufunc(_convert_fast, flags, dask="parallelized", output_dtypes=["int8"])
    keep = {k: v for k, v in flags.attrs.items() if k in ("flag_values", "flag_meanings", "long_name")}
    return out.assign_attrs(keep)


def qc_scheme(ds: xr.Dataset, qc_name: str) -> str:
    """Which flag scheme a QC variable follows."""
    attrs = ds[qc_name].attrs
    text = " ".join(str(attrs.get(k, "")) for k in ("long_name", "conventions", "Conventions"))
    text += " " + qc_name + " " + str(ds.attrs.get("Conventions", ""))
    low = text.lower()
    if "argo" in low:
        return "argo"
    if "seadatanet" in low or "l20" in low or "sdn" in low:
        return "seadatanet"
    meanings = str(attrs.get("flag_meanings", "")).lower()
    if "probably_good" in meanings or "good_data" in meanings:
        return "seadatanet" if "below_detection" in meanings else "generic"
    return "generic"


def accepted_flags(preset: str, scheme: str) -> set[int] | None:
    """Flags kept by a preset for a scheme; None means keep everything."""
    if preset not in PRESETS:
        raise ValueError(f"unknown QC preset {preset!r}; use one of {', '.join(PRESETS)}")
    return PRESETS[preset].get(scheme, PRESETS[preset]["generic"])


def flag_label(flag: int, scheme: str) -> str:
    if flag == NO_FLAG:
        return "no flag"
    return f"{flag}: {SCHEMES.get(scheme, SCHEMES['generic']).get(flag, 'other')}"


def apply_qc(obs: xr.Dataset, variable: str, preset: str) -> xr.Dataset:
    """Mask ``variable`` where its flag is not accepted by ``preset``.

    A variable without flags is kept whole: presets never hide unflagged data,
    and the quicklook says that no flags were available.
    """
    qc_name = f"{variable}_qc"
    if preset == "all" or qc_name not in obs:
        return obs
    flags = obs[qc_name]
    accepted = accepted_flags(preset, str(flags.attrs.get("qc_scheme", "generic")))
    if accepted is None:
        return obs
    keep = flags.isin(sorted(accepted))
    out = obs.copy()
    out[variable] = obs[variable].where(keep)
    return out
