"""What a local file is, from its first bytes: the adapters' ``guess_can_open`` uses these.

:func:`sniff` classifies a file as ``netcdf`` (NetCDF-3 or HDF5 signature),
``text``, ``binary`` or ``empty``; :func:`is_odv` recognises ODV / SeaDataNet
spreadsheets by their comment markers or their column labels; :func:`peek`
says in words what a file that should have been NetCDF looks like (an ERDDAP
error, an HTML page, truncated text). Only the first kilobytes are read.
"""

from __future__ import annotations

import re


def sniff(path: str) -> str:
    """'netcdf', 'text', 'binary' or 'empty', from the first bytes of a file."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return "empty"
    if head[:3] == b"CDF" or head[:8] == b"\x89HDF\r\n\x1a\n":
        return "netcdf"
    if b"\x00" in head:
        return "binary"
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in head)
    return "text" if printable >= 0.95 * len(head) else "binary"


def peek(path: str) -> str:
    """What a file that is not NetCDF looks like, for a skip reason."""
    with open(path, "rb") as fh:
        head = fh.read(2048).decode("latin-1", "replace")
    if head.lstrip().startswith("Error {"):
        match = re.search(r'message\s*=\s*"(.*?)";', head, re.S)
        text = f": {match.group(1)}" if match else ""
        return f"it is an ERDDAP error response saved under a .nc name{text}"
    if head.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        return "it is an HTML page (a server error page saved as a data file?)"
    first = head.strip().splitlines()[0][:60] if head.strip() else ""
    return f"it is a text file starting with {first!r} (truncated or failed download?)"


def is_odv(path: str) -> bool:
    """True for ODV / SeaDataNet spreadsheet text files (the format package's sniffer)."""
    from portal.formats.odv.text import looks_like_odv

    return looks_like_odv(path)
