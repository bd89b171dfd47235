"""The start-up warm-up builds every profile-like kind of the page once on its synthetic
casts (a builder whose signature or data needs changed would otherwise leave that
kind's first visitor paying the set-up, silently)."""

from __future__ import annotations


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
