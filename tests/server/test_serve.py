"""What ``odatis-portal serve`` checks and writes before it serves."""

from __future__ import annotations

import argparse

import pytest

from portal.errors import PortalError
from portal.server.serve import settings_for
from portal.ui.page import load_layout


def _args(**kw):
    return argparse.Namespace(**{"embed_origin": None, "dask_scheduler": None, **kw})


def test_environment_survives_the_command_line(monkeypatch, tmp_path):
    layout = tmp_path / "brand.yaml"
    layout.write_text("template: fast_list\n")
    monkeypatch.setenv("PORTAL_LAYOUT", str(layout))
    monkeypatch.setenv("PORTAL_EMBED_ORIGINS", "https://www.odatis-ocean.fr")
    settings = settings_for(_args(), ("a.yaml",))
    assert settings.to_env()["PORTAL_LAYOUT"] == str(layout)  # was reset to "portal"
    assert settings.embed_origins == ("https://www.odatis-ocean.fr",)
    flags = settings_for(_args(embed_origin=["https://x.org"], dask_scheduler="tcp://h:8786"),
                         ("a.yaml",))
    assert flags.embed_origins == ("https://x.org",) and flags.dask_scheduler == "tcp://h:8786"


@pytest.mark.parametrize("content", [None, "template: [unclosed\n", "- a list\n"])
def test_bad_layout_file_is_named(tmp_path, content):
    path = tmp_path / "layout.yaml"
    if content is not None:
        path.write_text(content)
    load_layout.cache_clear()
    with pytest.raises(PortalError, match=r"layout file .*layout\.yaml"):
        load_layout(str(path))


def test_arrow_buffers_come_from_the_system_allocator_after_start_up():
    """The server's Arrow pool is the C library's (mimalloc cost seconds of system CPU
    per large CSV export); pyarrow's default is restored for the rest of the tests."""
    import pyarrow as pa

    from portal.server.serve import use_system_allocator_for_arrow

    before = pa.default_memory_pool()
    try:
        use_system_allocator_for_arrow()
        assert pa.default_memory_pool().backend_name == "system"
        assert pa.array(range(1000)).sum().as_py() == 499500  # buffers still allocate
    finally:
        pa.set_memory_pool(before)
