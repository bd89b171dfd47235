"""The start-up warm-up builds every profile-like kind of the page once on its synthetic
casts (a builder whose signature or data needs changed would otherwise leave that
kind's first visitor paying the set-up, silently)."""

from __future__ import annotations

from tests.threads import run_async


def test_every_kind_is_warmed_on_the_synthetic_profiles():
    from portal.server.warmup import PROFILE_KINDS, synthetic_profiles, warm_kinds

    obs = synthetic_profiles(n_profiles=3, levels=4)
    assert obs.sizes["obs"] == 12 and set(obs.feature.values) == {1, 2, 3}
    took = warm_kinds()
    assert set(took) == set(PROFILE_KINDS)
    assert all(seconds > 0 for seconds in took.values())


def test_a_failing_kind_is_skipped_not_fatal(monkeypatch):
    import portal.quicklooks
    from portal.server.warmup import warm_kinds

    real = portal.quicklooks.builder

    def builder(kind):
        if kind == "ts":
            raise RuntimeError("broken builder")
        return real(kind)

    monkeypatch.setattr(portal.quicklooks, "builder", builder)
    assert set(warm_kinds(("profile", "ts"))) == {"profile"}


def _two_entries(tmp_path):
    from portal.catalog.loader import load_catalog
    from tests.server.conftest import small_catalog

    good = next(iter(load_catalog(str(small_catalog(tmp_path)))))
    broken = good.__class__.from_metadata("gone", "netcdf", {"urlpath": str(tmp_path / "gone.nc")},
                                          {})
    return good, broken


def test_the_catalog_warm_up_leaves_each_first_page_in_the_caches(tmp_path, caplog):
    """The page's first quicklook of a dataset (default kind, variable, QC, plot size)
    then reads nothing: its data views are data-cache hits. A broken dataset is logged
    and skipped; the warm-up never stops the start."""
    import holoviews as hv

    from portal.cache import data_cache
    from portal.pipeline import build_quicklook
    from portal.server.warmup import warm_catalog
    from portal.ui.state import ViewState

    good, broken = _two_entries(tmp_path)
    data_cache().clear()
    took = run_async(lambda: warm_catalog([broken, good]))
    assert set(took) == {good.id}
    assert "gone: warm-up of its first quicklook failed" in caplog.text
    misses = data_cache().stats.misses
    state = ViewState(dataset=good.id)
    hv.renderer("bokeh").get_plot(build_quicklook(good, None, state.query(),
                                                  state.style(width=900, height=520)))
    assert data_cache().stats.misses == misses  # the visitor's page: no read


def test_the_catalog_warm_up_stops_at_its_budget(tmp_path):
    from portal.server.warmup import warm_catalog

    good, _broken = _two_entries(tmp_path)
    assert run_async(lambda: warm_catalog([good, good], budget_s=0.0)) == {}


def test_remote_datasets_are_not_warmed(tmp_path, monkeypatch):
    """An ERDDAP or OPeNDAP dataset is not read at start: an unreachable server would
    hold the start for its time-outs."""
    import portal.pipeline
    from portal.model import DatasetEntry
    from portal.server.warmup import warm_catalog

    good, _broken = _two_entries(tmp_path)
    remote = DatasetEntry.from_metadata("far", "erddap", {
        "server": "https://erddap.example.org/erddap", "dataset_id": "x", "protocol": "tabledap"},
        {})
    built = []
    real = portal.pipeline.build_quicklook
    monkeypatch.setattr(portal.pipeline, "build_quicklook",
                        lambda entry, *a: built.append(entry.id) or real(entry, *a))
    assert set(run_async(lambda: warm_catalog([remote, good]))) == {good.id}
    assert built == [good.id]
