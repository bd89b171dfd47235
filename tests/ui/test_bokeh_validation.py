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


def test_holoviews_constant_edits_run_one_at_a_time():
    """``.opts()`` on a DynamicMap unlocks the class-level ``callback`` parameter for a
    moment: while one thread is inside, another's unlock waits (without it, the first to
    leave re-locked it under the other: ``Constant parameter 'callback' cannot be
    modified``, a page without its plot in a CI run)."""
    import threading

    import holoviews as hv
    from holoviews.core import util

    from portal.ui.render_thread import serial_constant_edits

    serial_constant_edits()
    serial_constant_edits()  # idempotent
    inside, leave, entered = threading.Event(), threading.Event(), threading.Event()
    first, second = hv.DynamicMap(lambda: hv.Curve([1, 2])), hv.DynamicMap(lambda: hv.Curve([1]))

    def hold() -> None:
        with util.disable_constant(first):
            inside.set()
            leave.wait(10)

    def edit() -> None:
        with util.disable_constant(second):
            entered.set()
            second.callback = first.callback  # the constant parameter is unlocked here

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    editor = threading.Thread(target=edit)
    editor.start()
    assert not entered.wait(0.3)  # waits for the first block to end
    leave.set()
    holder.join(10)
    editor.join(10)
    assert entered.is_set() and second.callback is first.callback
    with util.disable_constant(first), util.disable_constant(second):  # reentrant
        pass
