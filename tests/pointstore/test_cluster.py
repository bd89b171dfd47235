"""A real distributed.LocalCluster (worker processes) gives the in-process results."""

from __future__ import annotations

import numpy as np
import pytest

from portal.pointstore.aggregate import profile_density, render_aggregate


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, memory_limit="2GB")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize("kwargs", [
    {"use_overviews": False},
    {"how": "mean", "variable": "TEMP", "qc": "good", "use_overviews": False},
    {"how": "qc", "variable": "PSAL", "bbox": (-60, -30, 20, 40), "depth": (100, 900)},
])
def test_cluster_equals_in_process(synthetic, client, kwargs):
    path, _ = synthetic
    local = render_aggregate(path, width=120, height=80, **kwargs)
    remote = render_aggregate(path, width=120, height=80, scheduler=client, **kwargs)
    assert local.attrs["source"] == remote.attrs["source"] == "points"
    np.testing.assert_allclose(remote.values, local.values, rtol=1e-12, equal_nan=True)


def test_cluster_by_address_and_density(synthetic, client):
    path, _ = synthetic
    local = profile_density(path, variable="TEMP", width=40, height=30)
    remote = profile_density(path, variable="TEMP", width=40, height=30,
                             scheduler=client.scheduler.address)
    np.testing.assert_array_equal(remote.values, local.values)


def test_ingest_reads_files_on_the_cluster(shared_data, client, tmp_path):
    from portal.pointstore.ingest import ingest
    from portal.pointstore.store import open_store

    files = [str(shared_data / "argo" / "multiprofile" / "6901744_prof.nc"),
             str(shared_data / "edge_cases" / "AG2005040_BadFile.nc")]
    local = ingest(files, str(tmp_path / "a"), config={"levels": 4})
    remote = ingest(files, str(tmp_path / "b"), config={"levels": 4}, scheduler=client)
    assert remote.ingested[0][1] == local.ingested[0][1] and len(remote.failed) == 1
    assert open_store(str(tmp_path / "b")).n_points == open_store(str(tmp_path / "a")).n_points
