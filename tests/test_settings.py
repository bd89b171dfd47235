"""One settings object: defaults, the YAML config file, the environment over it, current()."""

from __future__ import annotations

import dataclasses

import pytest

from portal.errors import BadParameter, ConfigError
from portal.remote.config import remote_config
from portal.settings import Limits, Settings, current


def test_defaults_and_data_dir():
    s = Settings.load({"XDG_DATA_HOME": "/xdg"})
    assert s.catalogs == () and s.layout == "portal" and s.limits == Limits()
    assert s.png_cache_bytes == 256 * 2**20 and s.data_cache_bytes > 0 and s.remote_ttl_s > 0
    assert s.data_path == "/xdg/odatis-portal"
    assert Settings.load({"PORTAL_DATA_DIR": "/d"}).data_path == "/d"
    assert not hasattr(s, "png_cache_items")


def test_config_file_then_environment(tmp_path):
    cfg = tmp_path / "portal.yaml"
    cfg.write_text("catalogs: [a.yaml, b.yaml]\npng_cache_bytes: 1000\nlayout: brand\n"
                   "limits: {max_image_px: 3000}\nremote: {retries: 5, cache_ttl_s: 60}\n")
    s = Settings.load({"PORTAL_CONFIG": str(cfg), "PORTAL_LAYOUT": "env",
                       "PORTAL_HTTP_RETRIES": "1", "PORTAL_DEMO_SCALE": "0.01"})
    assert s.catalogs == ("a.yaml", "b.yaml") and s.png_cache_bytes == 1000
    assert s.layout == "env"  # the environment wins over the file
    assert s.limits.max_image_px == 3000 and s.limits.min_image_px == 100
    assert s.remote.retries == 1 and s.remote.cache_ttl_s == 60
    assert s.demo_scale == 0.01 and s.config_file == str(cfg)
    assert s.to_env()["PORTAL_CONFIG"] == str(cfg)


@pytest.mark.parametrize(("content", "match"), [
    ("png_cache_items: 5\n", "unknown config key 'png_cache_items'"),
    ("limits: {max_pixels: 5}\n", "limits.max_pixels"),
    ("png_cache_bytes: lots\n", "must be a number"),
    ("- a list\n", "not a mapping"),
    ("a: [unclosed\n", "cannot be read"),
])
def test_bad_config_file_is_named(tmp_path, content, match):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=match):
        Settings.load({}, config_file=str(cfg))


@pytest.mark.parametrize("name", ["PORTAL_PNG_CACHE_BYTES", "PORTAL_DEMO_SCALE",
                                  "PORTAL_POINTSTORE_THREADS", "PORTAL_HTTP_RETRIES"])
def test_bad_environment_value_names_the_variable(name):
    with pytest.raises(ConfigError, match=name):
        Settings.load({name: "many"})


def test_current_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_POINTSTORE_MAX_POINTS", "1e6")
    monkeypatch.setenv("PORTAL_POINTSTORE_CACHE_GB", "0.5")
    first = current()
    assert first.pointstore_max_points == 1_000_000 and first.pointstore_cache_bytes == 2**29
    assert current() is first  # parsed once per environment
    monkeypatch.setenv("PORTAL_HTTP_RETRIES", "7")
    assert current().remote.retries == 7 and remote_config().retries == 7
    cfg = tmp_path / "c.yaml"
    cfg.write_text("remote_ttl_s: 12\n")
    monkeypatch.setenv("PORTAL_CONFIG", str(cfg))
    assert current().remote_ttl_s == 12


def test_settings_are_frozen_and_limits_check_images():
    s = Settings.load({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.layout = "x"  # type: ignore[misc]
    s.limits.check_image(800, 600)
    with pytest.raises(BadParameter, match="between 100 and 4000"):
        s.limits.check_image(50, 600)


def test_pointstore_reads_settings(monkeypatch):
    from portal.pointstore.aggregate import n_threads
    from portal.pointstore.cache import budget_bytes

    monkeypatch.setenv("PORTAL_POINTSTORE_THREADS", "3")
    monkeypatch.setenv("PORTAL_POINTSTORE_CACHE_GB", "2")
    assert n_threads() == 3 and budget_bytes() == 2 * 2**30


def test_links_carry_public_url_and_prefix(monkeypatch):
    from portal.settings import Settings, asset_url

    s = Settings.load({"PORTAL_PUBLIC_URL": "https://www.odatis-ocean.fr/",
                       "PORTAL_PREFIX": "portail/"})
    assert s.base_path == "/portail"
    assert s.link("/embed?dataset=x") == "https://www.odatis-ocean.fr/portail/embed?dataset=x"
    assert Settings().link("/health") == "/health"  # no public URL: a root-relative path
    assert s.to_env()["PORTAL_PREFIX"] == "portail/"
    monkeypatch.setenv("PORTAL_PREFIX", "/portail")
    assert asset_url("portal.css") == "/portail/assets/portal.css"
    assert asset_url("/assets/logo.svg") == "/portail/assets/logo.svg"
    assert asset_url("https://cdn.example.org/logo.svg") == "https://cdn.example.org/logo.svg"
