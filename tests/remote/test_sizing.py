"""Size estimates and stride plans of gridded requests (pure)."""

from __future__ import annotations

import pytest

from portal.remote.sizing import SelectionTooLarge, human_bytes, plan_request

MB = 2**20
SODA = {"time": 1680, "lev": 40, "lat": 330, "lon": 720}  # SODA 2.2.4 temp, float32


def test_under_the_cap_is_untouched():
    plan = plan_request({"lat": 100, "lon": 100}, 4, MB)
    assert plan.estimate_bytes == plan.final_bytes == 40_000 and not plan.reduced


def test_no_time_chosen_keeps_the_latest_step_then_strides_space():
    plan = plan_request(SODA, 4, 200 * MB, time_dim="time", space_dims=["lat", "lon"])
    assert plan.estimate_bytes == 1680 * 40 * 330 * 720 * 4
    assert plan.last_time_only and plan.strides == {} and plan.final_bytes == 40 * 330 * 720 * 4
    plan = plan_request(SODA, 4, 10 * MB, time_dim="time", space_dims=["lat", "lon"])
    assert plan.last_time_only and plan.strides == {"lat": 2, "lon": 2}
    assert plan.final_bytes <= 10 * MB
    assert plan.describe() == "latest time only, lat every 2, lon every 2"


def test_chosen_time_range_is_kept_space_first_then_time():
    sizes = {"time": 12, "lat": 330, "lon": 720}
    plan = plan_request(sizes, 4, 2 * MB, time_dim="time", space_dims=["lat", "lon"],
                        time_selected=True)
    assert not plan.last_time_only and set(plan.strides) == {"lat", "lon"}
    plan = plan_request({"time": 5000, "lat": 3, "lon": 3}, 4, 10_000, time_dim="time",
                        space_dims=["lat", "lon"], time_selected=True)
    assert plan.strides["time"] > 1 and plan.final_bytes <= 10_000


def test_refuse_gives_the_estimate_and_a_hint():
    with pytest.raises(SelectionTooLarge) as info:
        plan_request(SODA, 4, 200 * MB, policy="refuse", what="temp in this selection",
                     dataset="soda")
    text = str(info.value)
    assert text.startswith("soda: temp in this selection is about 63.9 GB "
                           "(1680 × 40 × 330 × 720 values), over the 210 MB limit")
    assert text.endswith("select a shorter time range, a smaller area or a single depth")
    assert info.value.estimate_bytes == 63_866_880_000


def test_refused_when_even_thinning_cannot_fit():
    with pytest.raises(SelectionTooLarge, match="even when thinned"):
        plan_request({"lev": 10_000, "lat": 2, "lon": 2}, 8, 1000, space_dims=["lat", "lon"])


@pytest.mark.parametrize(("n", "text"), [(999, "999 B"), (12_000, "12 kB"),
                                         (1_570_000, "1.57 MB"), (63.9e9, "63.9 GB")])
def test_human_bytes(n, text):
    assert human_bytes(n) == text
