"""The signed-in user in the page header, and the sign-in prompt of restricted datasets.

:func:`account_bar` shows the user's name with "API tokens" and "Sign out" links, or a
"Sign in" link back to the current view for an anonymous visitor (nothing when sign-in is
off). :func:`sign_in_prompt` is what the page and the embed show an anonymous visitor for
a dataset they cannot see: the same words for an unknown id and a restricted one, so the
prompt never confirms that a dataset exists; in an embed the link opens a new tab (an
identity provider refuses to be framed).
"""

from __future__ import annotations

import html

import panel as pn

from portal.access import Identity
from portal.settings import Settings, login_links
from portal.ui.i18n import t


def _links(settings: Settings, next_path: str) -> dict[str, str]:
    return login_links(settings, next_path)


def account_bar(identity: Identity, settings: Settings, lang: str,
                next_path: str = "/") -> pn.pane.HTML | None:
    """The header's account links (None when sign-in is off)."""
    body = account_html(identity, settings, lang, next_path)
    if body is None:
        return None
    return pn.pane.HTML(f"<div class='portal-account' style='color:white'>{body}</div>",
                        styles={"color": "white"}, margin=(8, 12), css_classes=["portal-account"])


def account_html(identity: Identity, settings: Settings, lang: str,
                 next_path: str = "/") -> str | None:
    """The account links as HTML, every value escaped (None when sign-in is off)."""
    if not settings.login.enabled:
        return None
    links, esc = _links(settings, next_path), html.escape
    if identity.anonymous:
        body = (f"<a class='portal-sign-in' style='color:#fff' href='{esc(links['login'])}'>"
                f"{esc(t('sign_in', lang))}</a>")
    else:
        body = (f"<span class='portal-user'>{esc(identity.user)}</span> · "
                f"<a style='color:#fff' href='{esc(links['tokens'])}'>{esc(t('api_tokens', lang))}</a> · "
                f"<a class='portal-sign-out' style='color:#fff' href='{esc(links['logout'])}'>"
                f"{esc(t('sign_out', lang))}</a>")
    return body


def sign_in_prompt(settings: Settings, lang: str, next_path: str, new_tab: bool = False
                   ) -> pn.pane.HTML:
    """"Sign in to see this dataset" with a link back to ``next_path`` after sign-in."""
    link, esc = _links(settings, next_path)["login"], html.escape
    target = " target='_blank' rel='noopener'" if new_tab else ""
    return pn.pane.HTML(
        f"<div class='alert alert-info portal-sign-in-prompt'><p>{esc(t('sign_in_needed', lang))}"
        f"</p><p><a class='portal-sign-in' href='{esc(link)}'{target}>{esc(t('sign_in', lang))}"
        f"</a></p></div>", sizing_mode="stretch_width")
