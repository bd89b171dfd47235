"""The time picker: typed and pasted ISO dates, presets, the coverage as bounds, no spurious times."""

from __future__ import annotations

import pandas as pd
import pytest

from portal.query import TimeRange
from portal.ui.time_picker import TimePicker

COVERAGE = ("2016-10-18T12:00:00Z", "2016-12-17T12:00:00Z")


def test_typed_dates_choose_a_window_and_show_no_time_of_day():
    picker = TimePicker(COVERAGE)
    assert picker.window is None and picker._from.value == ""  # the whole record
    assert picker._from.placeholder == "2016-10-18"
    picker._from.value = "2016-11-01"
    picker._to.value = "2016-11-15"
    assert picker.window == TimeRange.parse("2016-11-01/2016-11-15")
    assert (picker._from.value, picker._to.value) == ("2016-11-01", "2016-11-15")  # no 06:00
    assert picker.value[0] == pd.Timestamp("2016-11-01").to_pydatetime()


def test_a_pasted_window_fills_both_fields_and_is_clamped_to_the_coverage():
    picker = TimePicker(COVERAGE)
    picker._from.value = "2016-01-01/2016-11-02T06:30Z"
    assert picker.window == TimeRange.parse("2016-10-18T12:00Z/2016-11-02T06:30Z")
    assert picker._to.value == "2016-11-02T06:30:00Z"


@pytest.mark.parametrize("text", ["yesterday", "2016-13-01", "2020-01-01"])
def test_bad_or_outside_text_keeps_the_window_and_says_why(text):
    picker = TimePicker(COVERAGE, TimeRange.parse("2016-11-01/2016-11-15"))
    picker._from.value = text
    assert picker.window == TimeRange.parse("2016-11-01/2016-11-15")
    assert picker._message.object  # a reason under the fields
    picker._from.value = "2016-11-02"
    assert not picker._message.object and picker.window.start == pd.Timestamp("2016-11-02", tz="UTC")


def test_presets_last_30_days_and_whole_record():
    picker = TimePicker(COVERAGE)
    picker._last.clicks += 1
    assert picker.window == TimeRange(pd.Timestamp("2016-11-17", tz="UTC"), COVERAGE[1])
    assert picker._from.value == "2016-11-17"
    picker._all.clicks += 1
    assert picker.window is None and picker._from.value == "" and picker._to.value == ""
