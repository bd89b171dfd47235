"""The Intake reader that portal catalogs name, so catalogs also work in plain Intake.

``intake.from_yaml_file("catalogs/demo.yaml")["demo_argo"].read()`` returns the
same lazy ``xarray.Dataset`` the portal draws, through the portal's source
adapters. The portal itself never calls ``read()`` on catalog entries: it maps
them to :class:`~portal.model.DatasetEntry` records (see ``loader``).
"""

from __future__ import annotations

from intake.readers.readers import BaseReader

from portal.model import DatasetEntry


class PortalReader(BaseReader):
    """Open a dataset with the portal's adapter named by ``driver``."""

    output_instance = "xarray:Dataset"
    imports = {"xarray"}

    def _read(self, driver: str = "netcdf", **kwargs):
        from portal.sources import open_dataset

        metadata = dict(self.metadata or {})
        entry = DatasetEntry.from_metadata(metadata.get("title", "dataset"), driver, kwargs,
                                           metadata)
        return open_dataset(entry)
