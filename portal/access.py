"""Who may see a dataset: the per-dataset access rule of the catalog metadata, and identities.

A catalog entry's metadata may carry ``access`` (ERDDAP's ``accessibleTo`` and
``graphsAccessibleTo`` in one key): ``public`` (the default) — everyone sees and
downloads it; ``[role, …]`` — only identities holding one of the roles see it at all;
``{graphs: public, data: [role, …]}`` — everyone sees the quicklooks, only those roles
download the data (``graphs`` may be a role list too). An :class:`Identity` is who a
request is (anonymous, or a user with roles from the identity token's configured claim).
This module is the pure policy, without any server: :func:`can_see` and
:func:`can_download` decide, :func:`visible_entries` filters. Anything the policy cannot
read (a malformed ``access`` value) is treated as restricted to nobody — never public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.model import DatasetEntry, _thaw

PUBLIC = "public"


@dataclass(frozen=True)
class Identity:
    """Who is asking: ``user`` is ``""`` for an anonymous visitor; ``roles`` come from the
    identity token's roles claim (or a personal API token's stored roles)."""

    user: str = ""
    roles: frozenset[str] = frozenset()

    @property
    def anonymous(self) -> bool:
        return not self.user

    @property
    def key(self) -> frozenset[str]:
        """What access depends on (the roles): the key of per-identity cached views."""
        return self.roles


ANONYMOUS = Identity()


@dataclass(frozen=True)
class Rule:
    """The access of one dataset: ``None`` means everyone, else the roles allowed."""

    graphs: frozenset[str] | None = None
    data: frozenset[str] | None = None

    @property
    def public(self) -> bool:
        return self.graphs is None and self.data is None


NOBODY = Rule(frozenset(), frozenset())


def _roles(value: object) -> frozenset[str] | None:
    """``None`` for public, else the roles; ValueError when it is neither."""
    if value is None or (isinstance(value, str) and value.strip().lower() == PUBLIC):
        return None
    if isinstance(value, str):
        return frozenset(r for r in value.replace(",", " ").split() if r)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return frozenset(v.strip() for v in value if v.strip())
    raise ValueError(f"access value {value!r} is neither 'public' nor a list of roles")


def parse_rule(value: object) -> Rule:
    """The :class:`Rule` of a metadata ``access`` value (see the module doc); ValueError
    for a value it cannot read."""
    if isinstance(value, dict):
        unknown = set(value) - {"graphs", "data"}
        if unknown:
            raise ValueError(f"access keys must be graphs and data, not {sorted(unknown)}")
        graphs = _roles(value.get("graphs"))
        data = _roles(value.get("data"))
        if graphs is not None and data is None:
            data = graphs  # data never more open than its graphs
        elif graphs is not None and data is not None:
            data = data & graphs if data else data
        return Rule(graphs, data)
    roles = _roles(value)
    return Rule(roles, roles)


def rule_of(entry: DatasetEntry) -> Rule:
    """The access rule of an entry (its metadata's ``access``; unreadable: nobody)."""
    extra = _thaw(entry.extra) if entry.extra else {}
    try:
        return parse_rule(extra.get("access") if isinstance(extra, dict) else None)
    except ValueError:
        return NOBODY


def _allowed(roles: frozenset[str] | None, identity: Identity) -> bool:
    return roles is None or bool(roles & identity.roles)


def can_see(entry: DatasetEntry, identity: Identity) -> bool:
    """Whether the entry exists for ``identity`` (list, search, quicklooks, embed)."""
    return _allowed(rule_of(entry).graphs, identity)


def can_download(entry: DatasetEntry, identity: Identity) -> bool:
    """Whether ``identity`` may download the entry's data."""
    rule = rule_of(entry)
    return _allowed(rule.graphs, identity) and _allowed(rule.data, identity)


def is_public(entry: DatasetEntry) -> bool:
    """Whether anyone may see and download the entry (shared HTTP caches may keep it)."""
    return rule_of(entry).public


def visible_entries(entries: Iterable[DatasetEntry], identity: Identity) -> list[DatasetEntry]:
    """The entries ``identity`` may see, in order."""
    return [e for e in entries if can_see(e, identity)]


def validate_access(value: object) -> str:
    """``""`` when an ``access`` value is readable, else why not (for ``catalog validate``)."""
    try:
        parse_rule(value)
    except ValueError as exc:
        return str(exc)
    return ""
