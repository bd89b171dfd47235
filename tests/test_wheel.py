"""The built wheel works on its own: a non-editable install serves the demo and draws.

Builds the wheel from this checkout, installs it (``--no-deps``) into a fresh venv whose
dependencies come from the test interpreter's site-packages through a ``.pth`` file (so
this takes seconds, not a full install), runs ``odatis-portal serve`` from an empty
folder on a free port and fetches the page, a stylesheet and a PNG quicklook over HTTP.
Runs in CI (``bash bootstrap.sh test``): it needs ``hatchling`` (test extras) or network.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.wheel


def _run(*cmd: str | Path, **kw) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=240,
                          **kw)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PORTAL_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed non-editable; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    # hatchling from the test extras builds offline; without it pip fetches it (network)
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation,
         "-w", work / "dist", REPO)
    wheel = next((work / "dist").glob("odatis_portal-*.whl"))
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         "--no-index", wheel)
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib.strip(), "zz_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    return venv / "bin"


def test_wheel_holds_the_assets(installed):
    code = ("import portal, portal.assets as a; print(portal.__file__); print(a.root()); "
            "print(a.land_geojson().is_file(), (a.layouts_dir() / 'portal.yaml').is_file(), "
            "a.demo_catalog().is_file())")
    out = _run(installed / "python", "-c", code, env=_clean_env(), cwd="/").splitlines()
    venv = str(installed.parent)
    assert out[0].startswith(venv), "portal must come from the installed wheel"
    assert out[1].startswith(venv) and out[1].endswith(os.path.join("portal", "_data"))
    assert out[2] == "True True True"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=120) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


def _wait_until_up(proc: subprocess.Popen, url: str, log: Path, seconds: float = 200) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if _get(url)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    pytest.fail(f"serve did not answer in {seconds} s:\n{log.read_text()[-3000:]}")


def test_serve_from_an_empty_folder_draws_the_demo(installed, tmp_path):
    empty, home, log = tmp_path / "empty", tmp_path / "home", tmp_path / "serve.log"
    empty.mkdir()
    port = _free_port()
    env = _clean_env(PORTAL_DATA_DIR=str(home), PORTAL_DEMO_SCALE="0.01")
    with open(log, "w") as out:
        proc = subprocess.Popen([str(installed / "odatis-portal"), "serve", "--port", str(port),
                                 "--address", "127.0.0.1"], cwd=empty, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, f"{base}/health", log)
        status, ctype, page = _get(f"{base}/")
        assert status == 200 and "text/html" in ctype and b"bokeh" in page.lower()
        status, _, css = _get(f"{base}/assets/portal.css")
        assert status == 200 and len(css) > 100
        status, ctype, png = _get(f"{base}/quicklook/demo_argo_biscay/profile.png")
        assert status == 200 and ctype == "image/png"
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert os.listdir(empty) == []  # nothing written where the command ran
    assert (home / "catalogs" / "demo.yaml").is_file()
    assert (home / "data" / "demo" / "9900001_prof.nc").is_file()
