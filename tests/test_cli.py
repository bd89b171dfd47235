"""The command line as a user runs it: quicklook PNGs, validation, readable errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

CATALOG = str(REPO / "catalogs" / "demo.yaml")


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def demo():
    from portal.demo import ensure_demo_catalog

    return ensure_demo_catalog()


def test_quicklook_default_and_explicit(demo, tmp_path):
    out = tmp_path / "default.png"
    res = run("quicklook", "demo_mooring_biscay", "--catalog", demo, "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 10_000
    out2 = tmp_path / "profile.png"
    res = run("quicklook", "demo_argo_biscay", "--catalog", demo, "--kind", "profile",
              "--var", "PSAL", "--qc", "good", "--depth", "0/500", "--time", "2023-01-01/",
              "-o", str(out2))
    assert res.returncode == 0, res.stderr
    assert out2.stat().st_size > 10_000


def test_errors_are_one_readable_line(demo, tmp_path):
    res = run("quicklook", "no_such_dataset", "--catalog", demo, "-o", str(tmp_path / "x.png"))
    assert res.returncode == 1
    assert "unknown dataset id 'no_such_dataset'" in res.stderr
    assert "Traceback" not in res.stderr
    res = run("quicklook", "demo_argo_biscay", "--catalog", demo, "--var", "NOPE",
              "-o", str(tmp_path / "x.png"))
    assert res.returncode == 1 and "unknown variable 'NOPE'" in res.stderr
    assert "TEMP" in res.stderr  # the message lists the valid variables
    res = run("quicklook", "demo_argo_biscay", "--catalog", demo, "--time", "1990-01-01/1990-02-01",
              "-o", str(tmp_path / "x.png"))
    assert res.returncode == 1 and "no valid" in res.stderr


def test_bad_arguments_are_rejected_by_the_parser(demo):
    res = run("quicklook", "demo_argo_biscay", "--bbox", "1,2,3")
    assert res.returncode == 2 and "W,S,E,N" in res.stderr


def test_validate_committed_catalog():
    res = run("catalog", "validate", CATALOG)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "OK" in res.stdout


def test_unexpected_errors_print_no_traceback(monkeypatch, capsys, caplog):
    import portal.cli as cli

    def boom(args):
        raise RuntimeError("boom \x1b[31mred\x07")

    monkeypatch.setattr(cli, "cmd_demo", boom)
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "boom red" in err and "\x1b" not in err and "\x07" not in err
    assert "Traceback" not in err + caplog.text
    assert not [r for r in caplog.records if r.levelno >= 30 and r.exc_info]


HEAVY = ("bokeh", "panel", "geoviews", "holoviews", "cartopy")
LOADED = ("import sys, runpy; sys.argv = ['odatis-portal'] + sys.argv[1:]\n"
          "try:\n    runpy.run_module('portal', run_name='__main__')\n"
          "except SystemExit as exc:\n    code = exc.code\n"
          "print('LOADED', sorted({m.split('.')[0] for m in sys.modules}))\n"
          "sys.exit(code)")


@pytest.mark.parametrize("dataset,kind", [("demo_argo_atlantic", "map"),
                                          ("demo_argo_atlantic", "profile"),
                                          ("demo_mooring_biscay", "timeseries"),
                                          ("demo_glider_ligurian", "timeseries"),
                                          ("demo_sst_biscay", "map")])
def test_quicklook_imports_no_plotting_stack(demo, tmp_path, dataset, kind):
    """Every kind the CLI draws takes the Matplotlib-only path: after the run, none of
    Bokeh, Panel, GeoViews, HoloViews or Cartopy is in ``sys.modules``."""
    out = tmp_path / "q.png"
    res = subprocess.run([sys.executable, "-c", LOADED, "quicklook", dataset, "--catalog", demo,
                          "--kind", kind, "--width", "500", "--height", "300", "-o", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr
    loaded = res.stdout.split("LOADED", 1)[1]
    assert "matplotlib" in loaded or kind == "map"
    assert not [name for name in HEAVY if f"'{name}'" in loaded], loaded
    from PIL import Image

    with Image.open(out) as image:
        assert image.size == (500, 300)
