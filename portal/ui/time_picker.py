"""The time-window control: typed or pasted ISO dates, presets, bounds from the coverage.

Two text fields (start, end) take ISO 8601 text as the URL does (``2016-10-18``,
``2016-10-18T12:00Z``, a month ``2016-10``; an end given as a date covers that whole
day) — a window pasted whole (``START/END``) into either field fills both. Dates show
without a time of day unless one was given, so a picked day never gains a spurious
"06:00". Presets set the whole record or its last 30 days. A window is clamped to the
dataset's coverage; text that is not a date, or a window outside the coverage, leaves
the view as it was and says why under the fields. :attr:`TimePicker.value` is the
shown (start, end) as naive UTC datetimes; :attr:`TimePicker.window` the
:class:`~portal.query.TimeRange` chosen (None: the whole record).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import panel as pn
import param

from portal.errors import BadParameter
from portal.query import TimeRange
from portal.ui.i18n import t

PRESET_DAYS = 30


def _naive(ts: pd.Timestamp) -> Any:
    return ts.tz_convert(None).to_pydatetime()


class TimePicker(pn.viewable.Viewer):
    """Start and end fields, presets and a message line, for one dataset's coverage."""

    window = param.ClassSelector(class_=TimeRange, default=None, allow_None=True,
                                 doc="the window chosen (None: the whole record)")
    value = param.Tuple(default=None, allow_None=True, length=2,
                        doc="(start, end) shown, naive UTC datetimes")

    def __init__(self, coverage: tuple[Any, Any], chosen: TimeRange | None = None,
                 lang: str = "en", **params: Any) -> None:
        super().__init__(**params)
        self.start, self.end = (pd.Timestamp(v) for v in coverage)
        self.start, self.end = (v.tz_localize("UTC") if v.tzinfo is None else v.tz_convert("UTC")
                                for v in (self.start, self.end))
        self._lang = lang
        self._setting = False
        self._from = pn.widgets.TextInput(width=210, css_classes=["portal-time-start"])
        self._to = pn.widgets.TextInput(width=165, css_classes=["portal-time-end"])
        buttons = {"height": 32, "color": "primary", "variant": "outline", "align": "end"}
        self._last = pn.widgets.Button(css_classes=["portal-time-last30"], **buttons)
        self._all = pn.widgets.Button(css_classes=["portal-time-all"], **buttons)
        self._message = pn.pane.HTML("", margin=(0, 5), css_classes=["portal-time-message"])
        for widget in (self._from, self._to):
            widget.param.watch(self._on_text, "value")
        self._last.on_click(lambda _e: self.set_window(self.last_days(PRESET_DAYS)))
        self._all.on_click(lambda _e: self.set_window(None))
        self.relabel(lang)
        self._show(self.clamp(chosen) if chosen is not None else None)
        self.window = chosen

    # ------------------------------------------------------------------ logic
    def clamp(self, window: TimeRange | None) -> TimeRange | None:
        """The part of ``window`` inside the coverage (the whole coverage when it misses
        it); None stays None."""
        if window is None:
            return None
        lo = self.start if window.start is None else max(window.start, self.start)
        hi = self.end if window.end is None else min(window.end, self.end)
        if lo > hi:
            return TimeRange(self.start, self.end)
        return TimeRange(lo, hi)

    def last_days(self, days: int) -> TimeRange:
        """The last ``days`` days of the coverage (whole days, up to its end)."""
        lo = max((self.end - pd.Timedelta(days=days)).normalize(), self.start)
        return TimeRange(lo, self.end)

    def parse(self, start: str, end: str) -> TimeRange | None:
        """The window typed in the fields (None: both empty); raises BadParameter."""
        start, end = start.strip(), end.strip()
        if "/" in start or "/" in end:  # a whole window pasted into one field
            return TimeRange.parse(start if "/" in start else end)
        if not start and not end:
            return None
        return TimeRange.from_strings(start or None, end or None)

    def set_window(self, window: TimeRange | None) -> None:
        """Show and choose ``window`` (clamped to the coverage)."""
        self._message.object = ""
        window = self.clamp(window)
        self._show(window)
        self.window = window

    # ---------------------------------------------------------------- widgets
    def relabel(self, lang: str) -> None:
        self._lang = lang
        self._from.name, self._to.name = t("time_from", lang), t("time_to", lang)
        self._from.placeholder = self.start.strftime("%Y-%m-%d")
        self._to.placeholder = self.end.strftime("%Y-%m-%d")
        self._last.name = t("last_30_days", lang)
        self._all.name = t("whole_record", lang)

    def _show(self, window: TimeRange | None) -> None:
        """Write the fields (no event back) and ``value``; dates show without 00:00."""
        self._setting = True
        try:
            shown = window or TimeRange(self.start, self.end)
            start, end = shown.to_text().split("/")  # the URL's text: no 00:00 on a date
            self._from.value, self._to.value = ("", "") if window is None else (start, end)
        finally:
            self._setting = False
        self.value = (_naive(shown.start), _naive(shown.end))

    def _on_text(self, event) -> None:
        if self._setting:
            return
        try:
            window = self.parse(self._from.value or "", self._to.value or "")
        except BadParameter as exc:
            self._warn(str(exc).split(": ", 1)[-1])
            return
        if window is not None and ((window.end is not None and window.end < self.start)
                                   or (window.start is not None and window.start > self.end)):
            self._warn(t("outside_record", self._lang,
                         start=self._from.placeholder, end=self._to.placeholder))
            return
        self.set_window(window)

    def _warn(self, text: str) -> None:
        self._message.object = (f"<span style='color:#b00020;font-size:0.85em'>"
                                f"{html.escape(text)}</span>")

    def __panel__(self):
        return pn.Column(pn.Row(self._from, self._to, self._last, self._all, margin=0),
                         self._message, margin=0, css_classes=["portal-control-time"])
