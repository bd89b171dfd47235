"""ODV spreadsheet text: decoding the bytes and recognising an ODV file from its first lines.

ODV and SeaDataNet exports come as UTF-8 (with or without BOM), UTF-16 with BOM, cp1252
or Latin-1; :func:`load_text` decodes them in that order of preference (Latin-1 never
fails) and refuses empty files, NetCDF/HDF5 files and binary content with a
:class:`~portal.errors.SourceUnavailable` that says so; :func:`split_lines` accepts LF,
CRLF and CR line ends. :func:`looks_like_odv` is the cheap sniffing test used by the
catalogue scan and by the xarray backend's ``guess_can_open``: an ODV comment marker
(``//<Version>ODV``, ``//SDN_parameter_mapping``, ``//<DataVariable>``...) or a header
row with Cruise, Station (or Site), Longitude and Latitude columns. Standard library only.
"""

from __future__ import annotations

import codecs
import os

from portal.errors import SourceUnavailable

#: lower-cased text of ``//`` comment lines that only ODV spreadsheets carry.
ODV_COMMENT_MARKERS = ("<version>odv", "sdn_parameter_mapping", "<datafield>", "<datatype>",
                       "<metavariable>", "<datavariable>", "<missingvalueindicators>")
_BINARY_BYTES = bytes(range(9)) + bytes(range(14, 32))
_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
SNIFF_BYTES = 65536


def load_text(path: str, name: str) -> str:
    """The file's text, decoded; SourceUnavailable when missing, empty or binary."""
    fname = os.path.basename(path)
    if not os.path.isfile(path):
        raise SourceUnavailable(f"file not found: {path}", dataset=name,
                                hint="check the catalog path or re-run 'odatis-portal catalog scan'")
    with open(path, "rb") as fh:
        raw = fh.read()
    if not raw.strip():
        raise SourceUnavailable(f"{fname} is empty", dataset=name)
    for bom, codec in _UTF16:
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, errors="replace")
    head = raw[:8192]
    if head.startswith((b"CDF", b"\x89HDF")):
        raise SourceUnavailable(f"{fname} is not a text file (it is NetCDF/HDF5)", dataset=name,
                                hint="declare it with driver: netcdf")
    n_binary = len(head) - len(head.translate(None, _BINARY_BYTES))
    if b"\x00" in head or n_binary > 0.01 * len(head):
        raise SourceUnavailable(f"{fname} is not a text file (binary content)", dataset=name)
    return decode(raw)


def decode(raw: bytes) -> str:
    """UTF-8 (BOM stripped), else cp1252, else Latin-1 (which never fails)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    for codec in ("utf-8", "cp1252"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def split_lines(text: str) -> list[str]:
    """Lines of ``text`` whatever its line ends (LF, CRLF or CR)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def looks_like_odv(path: str | os.PathLike[str]) -> bool:
    """True for ODV / SeaDataNet spreadsheet text files (comment markers or ODV columns);
    False for anything else, including paths that are not readable files."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, TypeError, ValueError):
        return False
    for bom, codec in _UTF16:
        if head.startswith(bom):
            text = head[len(bom):].decode(codec, "replace")
            break
    else:
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1", "replace")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("//"):
            if any(marker in stripped.lower() for marker in ODV_COMMENT_MARKERS):
                return True
            continue
        return _odv_header_row(stripped)
    return False


def _odv_header_row(line: str) -> bool:
    """An ODV header row names Cruise, Station (or Site), Longitude and Latitude columns."""
    sep = "\t" if "\t" in line else ";"
    labels = [c.split(":")[0].strip().lower() for c in line.split(sep)]
    has_lon = any(lab.startswith(("longitude", "lon ")) for lab in labels)
    has_lat = any(lab.startswith(("latitude", "lat ")) for lab in labels)
    return "cruise" in labels and ("station" in labels or "site" in labels) and has_lon and has_lat
