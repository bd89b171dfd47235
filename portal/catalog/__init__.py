"""Catalogs: Intake YAML files turned into :class:`DatasetEntry` records.

``loader`` is the only module that imports Intake; everything else in the portal
works with the frozen, hashable records of ``model``.
"""

from portal.model import DatasetEntry, Query, VariableInfo  # noqa: F401
