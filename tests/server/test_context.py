"""Catalog reload without restart: file changes and SIGHUP, a broken file keeps the old one."""

from __future__ import annotations

import copy
import logging
import os
import signal

import pytest
import yaml

from portal.server import context
from tests.server.conftest import small_catalog


def clear_holders() -> None:
    import panel as pn

    for key in [k for k in pn.state.cache  # as_cached keys are (key, *kwargs) tuples
                if str(k[0] if isinstance(k, tuple) else k).startswith("portal-")]:
        pn.state.cache.pop(key)


@pytest.fixture
def catalog_file(tmp_path, monkeypatch):
    path = small_catalog(tmp_path)
    monkeypatch.setenv("PORTAL_CATALOGS", str(path))
    clear_holders()
    yield path
    clear_holders()


def write(path, ids: list[str], broken_ids: tuple[str, ...] = (), bump: int = 1) -> None:
    """Rewrite the catalog with copies of its first entry under ``ids`` (``broken_ids``
    lack their driver), moving the file's mtime forward by ``bump`` seconds."""
    doc = yaml.safe_load(path.read_text())
    template = next(iter(doc["entries"].values()))
    doc["entries"] = {i: copy.deepcopy(template) for i in ids}
    for i in broken_ids:
        doc["entries"][i]["kwargs"].pop("driver")
    before = os.stat(path).st_mtime_ns + bump * 10**9
    path.write_text(yaml.safe_dump(doc))
    os.utime(path, ns=(before, before))


def test_changed_file_is_picked_up_by_the_next_call(catalog_file):
    first = context.catalog()
    assert list(first.entries) == ["grid"]
    write(catalog_file, ["grid", "grid2"])
    second = context.catalog()
    assert list(second.entries) == ["grid", "grid2"]
    assert list(first.entries) == ["grid"]  # open sessions keep the catalog they had


def test_broken_file_keeps_previous_catalog_and_says_why(catalog_file, caplog):
    write(catalog_file, ["grid", "grid2"])
    assert len(context.catalog()) == 2
    before = os.stat(catalog_file).st_mtime
    catalog_file.write_text("entries: [unclosed\n")
    os.utime(catalog_file, (before + 5, before + 5))
    with caplog.at_level(logging.ERROR, logger="portal.server.context"):
        assert list(context.catalog().entries) == ["grid", "grid2"]
    assert "still serving the previous 2 datasets" in caplog.text
    state = context.catalog_state()
    assert "cannot load catalog" in state.reload_error and state.datasets == 2
    write_fixed = small_catalog(catalog_file.parent)  # a good file again
    os.utime(write_fixed, (before + 9, before + 9))
    assert list(context.catalog().entries) == ["grid"]
    assert context.catalog_state().reload_error == ""


def test_skipped_entries_are_reported(catalog_file):
    write(catalog_file, ["grid", "nodriver"], broken_ids=("nodriver",))
    state = context.catalog_state()
    assert state.datasets == 1
    assert any("nodriver" in s and "driver" in s for s in state.skipped), state.skipped


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP here")
def test_sighup_reloads_an_unchanged_mtime(catalog_file):
    old = signal.getsignal(signal.SIGHUP)
    try:
        context.install_sighup()
        assert len(context.catalog()) == 1
        write(catalog_file, ["grid", "a", "b"], bump=0)  # same mtime: not noticed
        assert len(context.catalog()) == 1
        os.kill(os.getpid(), signal.SIGHUP)
        assert len(context.catalog()) == 3
    finally:
        signal.signal(signal.SIGHUP, old)
