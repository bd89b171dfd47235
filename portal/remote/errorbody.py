"""Readable messages from the error bodies servers send back (pure functions).

ERDDAP answers ``Error { code=404; message="Not Found: ..."; }``; Tomcat, proxies
and THREDDS answer HTML pages; OPeNDAP servers answer ``Error { code = 1005;
message = "..."; }``. :func:`error_message` turns any of them into one line of
plain text, and :func:`is_no_match` recognises ERDDAP's "no matching results",
which the portal shows as an empty selection rather than a failure.
"""

from __future__ import annotations

import html
import re

_ERDDAP = re.compile(
    r"Error\s*\{\s*code\s*=\s*(?P<code>\d+)\s*;\s*message\s*=\s*\"(?P<msg>(?:[^\"\\]|\\.)*)\"",
    re.S,
)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_NO_MATCH = re.compile(r"produced no matching results|no matching results|nRows\s*=\s*0", re.I)
_MAX = 300


def _clean(text: str) -> str:
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def _from_html(text: str) -> str:
    """The most informative part of an HTML error page (Tomcat 'Message', h1, title)."""
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", text, flags=re.S | re.I)
    msg = re.search(r"<b>\s*message\s*</b>(.*?)</p>", body, re.S | re.I)
    if msg and _clean(msg.group(1)):
        return _clean(msg.group(1))
    for tag in ("h1", "title", "h2", "p"):
        found = re.search(rf"<{tag}[^>]*>(.*?)</{tag}>", body, re.S | re.I)
        if found and _clean(found.group(1)):
            return _clean(found.group(1))
    return _clean(body)


def error_message(body: bytes | str | None, content_type: str = "") -> str:
    """One readable line from an error body ('' when the body says nothing)."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text[:20000]
    found = _ERDDAP.search(text)
    if found:
        return _clean(found.group("msg").replace('\\"', '"'))
    if "html" in content_type.lower() or re.search(r"<\s*(html|body|h1|title)\b", text, re.I):
        return _from_html(text)
    if "\x00" in text:
        return ""
    return _clean(text)


def is_no_match(status: int, body: bytes | str | None) -> bool:
    """True for ERDDAP's 404 "Your query produced no matching results"."""
    if status != 404 or not body:
        return False
    text = body[:4000].decode("utf-8", "replace") if isinstance(body, bytes) else body[:4000]
    return bool(_NO_MATCH.search(text))
