"""Text from untrusted metadata, made safe for where it is shown.

Catalog and file metadata are written by others. :func:`clean_text` drops control
characters (ESC, BEL, CR, …: an ANSI sequence in a long name would drive the
operator's terminal) and keeps tabs and newlines; :func:`one_line` also folds
whitespace for log and terminal lines; :func:`mpl_text` escapes ``$`` so Matplotlib
shows units like ``$m^{-3`` as typed instead of failing to parse them as TeX;
:func:`hv_title` doubles braces, which HoloViews' title formatting would read. Light:
no third-party imports.
"""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, and C1 controls (U+0080–U+009F, e.g. CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])"
                   r"|\x9b[0-?]*[ -/]*[@-~]")


def clean_text(text: object) -> str:
    """``text`` as a string without ANSI escape sequences or control characters
    (tabs and newlines kept)."""
    return _CONTROL.sub("", _ANSI.sub("", str(text)))


def one_line(text: object) -> str:
    """:func:`clean_text` on one line: runs of whitespace (newlines too) become a space."""
    return " ".join(clean_text(text).split())


def mpl_text(text: object) -> str:
    """Text for a Matplotlib label or title: ``$`` escaped, so no TeX is parsed."""
    return clean_text(text).replace("$", r"\$")


def hv_title(text: object) -> str:
    """A plot title for HoloViews: one clean line with ``{`` and ``}`` doubled, since
    HoloViews formats titles with ``str.format`` (``{label}``, ``{group}``…)."""
    return one_line(text).replace("{", "{{").replace("}", "}}")
