"""Bokeh's property-validation switch is per thread in the server: HoloViews turns it off
around data-source updates on the loop while figures are built in worker threads."""

from __future__ import annotations

import threading

from bokeh.core.property.validation import validate
from bokeh.models import Title
from bokeh.plotting import figure

from portal.ui.render_thread import per_thread_bokeh_validation


def _overlapping_switches() -> None:
    """Two threads' ``validate(False)`` blocks overlapping, the first ending first: what
    HoloViews' ``_update_datasource`` does on the loop while a worker builds a figure."""
    entered, first_left = threading.Event(), threading.Event()

    def worker() -> None:
        with validate(False):
            entered.set()
            first_left.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(5)
    block = validate(False)  # the loop's block starts while the worker's is open
    first_left.set()
    thread.join(5)  # the worker's block ends first ...
    block.__exit__(None, None, None)  # ... then the loop's


def test_overlapping_switches_leave_validation_on_and_titles_converted():
    per_thread_bokeh_validation()
    per_thread_bokeh_validation()  # idempotent
    _overlapping_switches()
    assert isinstance(figure(title="Positions").title, Title)


def test_a_switch_in_one_thread_leaves_the_others_validating():
    per_thread_bokeh_validation()
    built = []
    with validate(False):
        thread = threading.Thread(target=lambda: built.append(figure(title="T").title))
        thread.start()
        thread.join(5)
    assert isinstance(built[0], Title)
