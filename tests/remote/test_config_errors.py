"""Settings from PORTAL_* variables, and error bodies turned into readable lines."""

from __future__ import annotations

import glob
import os

import pytest

from portal.errors import CatalogError
from portal.remote.config import remote_config
from portal.remote.errorbody import error_message, is_no_match

from .servers import ERDDAP_DIR


def test_defaults():
    cfg = remote_config({})
    assert cfg.timeout == (10.0, 60.0) and cfg.max_per_host == 2
    assert cfg.cache_path.endswith(os.path.join(".cache", "odatis-portal", "http"))
    assert cfg.user_agent.startswith("odatis-portal/0.") and "odatis-ocean.fr" in cfg.user_agent


def test_environment_overrides():
    cfg = remote_config({"PORTAL_HTTP_TIMEOUT": "3, 20", "PORTAL_CONTACT": "mailto:a@b.fr",
                         "PORTAL_MAX_PER_HOST": "1", "PORTAL_CACHE_DIR": "/tmp/x",
                         "PORTAL_OPENDAP_MAX_MB": "50", "PORTAL_OPENDAP_OVERSIZE": "refuse"})
    assert cfg.timeout == (3.0, 20.0) and cfg.max_per_host == 1
    assert cfg.user_agent.endswith("(+mailto:a@b.fr)") and cfg.cache_path == "/tmp/x"
    assert (cfg.opendap_max_mb, cfg.opendap_oversize) == (50.0, "refuse")
    assert remote_config({"PORTAL_HTTP_TIMEOUT": "7"}).timeout == (7.0, 7.0)


@pytest.mark.parametrize(("name", "value"), [
    ("PORTAL_HTTP_TIMEOUT", "fast"), ("PORTAL_HTTP_TIMEOUT", "0,5"),
    ("PORTAL_MAX_PER_HOST", "0"), ("PORTAL_CACHE_TTL_S", "-1"),
    ("PORTAL_OPENDAP_OVERSIZE", "maybe"),
])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(CatalogError, match=name):
        remote_config({name: value})


EXPECTED = {
    "ArgoFloats-synthetic-BGC_404_no_matching_results.nc":
        "Not Found: Your query produced no matching results. (nRows = 0)",
    "search_404_tomcat_html.html": "Resource not found: /erddap/search/advanced.json (A .json "
        'Advanced Search request must include one or more criteria, for example, '
        '"?page=1&itemsPerPage=1000&searchFor=wind+temperature".)',
    "tabledap_400_bad_constraint_quoting.txt":
        'Bad Request: Query error: Unrecognized constraint variable="time%3E".',
    "tabledap_500_tomcat_html.html": 'Query error: Unrecognized variable="stuff"',
}


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ERDDAP_DIR, "errors", "*"))),
                         ids=os.path.basename)
def test_recorded_error_bodies(path):
    with open(path, "rb") as fh:
        body = fh.read()
    message = error_message(body)
    assert message and "<" not in message and "{" not in message and len(message) <= 300
    name = os.path.basename(path)
    if name in EXPECTED:
        assert message == EXPECTED[name]
    assert is_no_match(404, body) == ("no_matching" in name or "no_results" in name)


def test_binary_and_empty_bodies():
    assert error_message(b"") == "" and error_message(b"CDF\x01\x00\x00") == ""
    assert not is_no_match(500, b"Your query produced no matching results")
