"""The page's CSV and NetCDF links of the current selection, with their size estimate.

:func:`download_links` writes the two links followed by the estimate from
:func:`portal.downloads.estimate` (``≈ 12,345 rows, ~1.2 MB``), or, when the selection
would be refused (over the download limits, or empty), the refusal and its suggestion in
place of the links; both in the page's language (:mod:`portal.i18n`). The progress note needs no script: a clicked link keeps the focus
while the browser starts the download, and :data:`DOWNLOAD_CSS` draws a small spinner
and "preparing…" after a focused link (the browser's own download bar shows the rest;
rows are streamed, so no Content-Length is known in advance).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from portal.downloads import Estimate
from portal.i18n import t

DOWNLOAD_CSS = """
.portal-download-size { color: #5b6770; font-size: .85em; }
.portal-download-refused { color: #8a4b00; font-size: .85em; }
a.portal-download:focus::after {
  content: ""; display: inline-block; width: .7em; height: .7em; margin-left: .35em;
  border: 2px solid #0b5394; border-right-color: transparent; border-radius: 50%;
  animation: portal-spin .8s linear infinite; vertical-align: -0.05em;
}
@keyframes portal-spin { to { transform: rotate(360deg); } }
"""


def download_links(link: Callable[[str], str], ident: str, selection: str,
                   estimate: Estimate, lang: str = "en") -> str:
    """HTML of the download links (``ident`` URL-quoted, ``selection`` a query string), the
    size hint or refusal in ``lang``."""
    if estimate.refused:
        return (f"<span class='portal-download-refused' "
                f"title='{html.escape(t('download_refused', lang))}'>"
                f"{html.escape(estimate.refusal(lang))}</span>")
    query = f"?{selection}" if selection else ""
    size = html.escape(estimate.label(lang))
    links = " · ".join(
        f"<a class='portal-link portal-download' href='{html.escape(link(path + query))}' "
        f"download title='{size}'>{label}</a>"
        for label, path in (("CSV", f"/download/{ident}.csv"), ("NetCDF", f"/download/{ident}.nc")))
    return f"{links} <span class='portal-download-size'>{size}</span>" if size else links
