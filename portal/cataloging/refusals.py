"""Why the scan left a file out: an enumerated set of refusal kinds, and the classifier.

Every file ``catalog scan`` does not turn into a dataset gets one of :data:`SKIP_KINDS`
beside its human message (``skipped  NAME [KIND]: message``), so operators and tests can
count refusals by cause. :func:`classify` takes the exception the reader raised: an explicit
``kind`` set where the refusal was decided (links leaving the folder, a reader stopped or
killed), otherwise the exception class and the message's wording. :func:`outside_folder`
refuses links that leave the scanned folder before anything reads them (a link to
``/etc/passwd`` must not have its first line printed).
"""

from __future__ import annotations

import os
import re

from portal.errors import NoDataInSelection, PortalError

#: refusal kind -> what it means (the set is closed: classify returns one of these)
SKIP_KINDS: dict[str, str] = {
    "not-a-data-file": "a file of a type the scan does not read (notes, images, wrong extension)",
    "empty": "a file of 0 bytes",
    "truncated": "the file ends before the content its header declares",
    "unreadable": "corrupt content or metadata the readers cannot use",
    "too-large": "reading it needs more memory than the scan allows",
    "timed-out": "reading it took longer than the scan allows (huge declared dimensions)",
    "worker-crashed": "the file crashed or stopped its isolated reader",
    "no-records": "readable, but every value is fill or NaN (no data rows)",
    "no-data-variables": "readable, but no measured variable or no usable coordinates",
    "outside-folder": "a link leaving the scanned folder, or a broken link (not followed)",
}

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        ("empty", r"empty file|\(0 bytes\)"),
        ("timed-out", r"took longer than"),
        ("worker-crashed", r"crashed its reader|stopped without an answer|did not start"),
        ("too-large", r"more than \d+ MB|over \d+ MB|cannot allocate|MemoryError"),
        ("not-a-data-file", r"unsupported file type|not a NetCDF file|without ODV"),
        ("truncated", r"truncated file|fewer than its header|ends before"),
        ("no-records", r"entirely _FillValue|no data rows|no valid|all[- ]NaN|no observation"),
        ("no-data-variables", r"no measured|no numeric|no usable latitude|no data variable"
                              r"|no usable .*coordinates"),
    ))


def skip_with(kind: str, exc: PortalError) -> PortalError:
    """``exc`` marked with refusal ``kind`` (one of :data:`SKIP_KINDS`)."""
    assert kind in SKIP_KINDS, kind
    exc.kind = kind  # type: ignore[attr-defined]
    return exc


def classify(exc: BaseException) -> str:
    """The refusal kind of an exception raised while describing a file."""
    kind = getattr(exc, "kind", None)
    if kind in SKIP_KINDS:
        return kind
    from portal.cataloging.scan import NotDataFile

    text = str(exc)
    if isinstance(exc, NotDataFile) and not re.search(r"truncat|signature", text, re.I):
        return "not-a-data-file"
    if isinstance(exc, MemoryError):
        return "too-large"
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return "no-records" if isinstance(exc, NoDataInSelection) else "unreadable"


def outside_folder(path: str, root: str) -> str | None:
    """Why ``path`` must not be read as part of ``root`` (a link leaving it, a broken or
    looping link), or None."""
    if not os.path.islink(path):
        return None
    try:
        real = os.path.realpath(path, strict=True)
    except OSError:
        return "a broken or looping link (not followed)"
    top = os.path.realpath(root)
    if os.path.commonpath([real, top]) != top:
        return "a link to a file outside the scanned folder (not followed)"
    return None
