"""Quality-control flags: schemes, presets and masks.

The schemes (Argo reference table 2, SeaDataNet L20 with ``A`` and ``Q``, IOOS
QARTOD, a generic 0–9 scale) and the flags each preset keeps are tables of
:mod:`portal.vocab`. Flags arrive as chars (``b'1'``), integers or floats; :func:`qc_to_int` maps them all to int8 with -1
for "no flag". Presets choose which flags a quicklook keeps: ``good`` (1),
``good_probably`` (1, 2, plus changed/interpolated/estimated values) and ``all``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from portal.vocab import FLAG_SCHEMES, LETTERS, NO_FLAG, QC_PRESET_FLAGS, flag_meaning

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
    """Which flag scheme a QC variable follows: a known ``qc_scheme`` attribute (set by the
    ODV reader), else the names and attributes that mention Argo, SeaDataNet or QARTOD."""
    attrs = ds[qc_name].attrs
    if attrs.get("qc_scheme") in FLAG_SCHEMES:
        return str(attrs["qc_scheme"])
    text = " ".join(str(attrs.get(k, "")) for k in ("long_name", "conventions", "Conventions"))
    text += " " + qc_name + " " + str(ds.attrs.get("Conventions", ""))
    low = text.lower()
    if "argo" in low:
        return "argo"
    if "seadatanet" in low or "l20" in low or "sdn" in low:
        return "seadatanet"
    meanings = str(attrs.get("flag_meanings", "")).lower()
    if "qartod" in low or ("pass" in meanings.split() and "suspect" in meanings.split()):
        return "qartod"
    if "probably_good" in meanings or "good_data" in meanings:
        return "seadatanet" if "below_detection" in meanings else "generic"
    return "generic"


def accepted_flags(preset: str, scheme: str) -> set[int] | None:
    """Flags kept by a preset for a scheme; None means keep everything."""
    if preset not in QC_PRESET_FLAGS:
        raise ValueError(f"unknown QC preset {preset!r}; use one of {', '.join(QC_PRESET_FLAGS)}")
    return QC_PRESET_FLAGS[preset].get(scheme, QC_PRESET_FLAGS[preset]["generic"])


def flag_label(flag: int, scheme: str) -> str:
    """``"1: good"``, or ``"no flag"`` for -1 (legends of the profile and series plots)."""
    return "no flag" if flag == NO_FLAG else f"{flag}: {flag_meaning(flag, scheme)}"


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
