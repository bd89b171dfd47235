"""``odatis-portal thumbnails``: small PNGs of every entry, up-to-date ones skipped,
a broken entry reported while the others are written, no plotting stack imported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from portal.cli import main
from tests.conftest import REPO
from tests.test_cli import HEAVY, LOADED

#: LOADED naming every module, not only packages
LOADED_ALL = LOADED.replace("sorted({m.split('.')[0] for m in sys.modules})", "sorted(sys.modules)")
assert LOADED_ALL != LOADED
#: modules the demo catalog's thumbnails do without (imports of whole seconds in a cold
#: process): dask, for xarray's dask checks (portal.cold); Matplotlib (maps and single
#: series are drawn with PIL, viridis read from static/cmaps); numba (the point store's
#: thumbnail is a NumPy spread of overviews)
NOT_NEEDED = ("dask", "matplotlib", "numba")


@pytest.fixture(scope="module")
def demo() -> str:
    from portal.demo import ensure_demo_catalog

    return str(ensure_demo_catalog())


@pytest.fixture()
def folder(tmp_path, demo) -> tuple[Path, Path]:
    """Three small files scanned into a catalog (map, profile-less series, glider); then
    the glider file is overwritten with garbage, so its entry fails at render time."""
    data = tmp_path / "data"
    data.mkdir()
    src = Path(demo).parent.parent / "data" / "demo"
    for name in ("9900002_prof.nc", "mooring_biscay_1min.nc", "glider_ligurian_section.nc"):
        shutil.copy(src / name, data / name)
    catalog = tmp_path / "catalog.yaml"
    assert main(["catalog", "scan", str(data), "-o", str(catalog)]) == 0
    (data / "glider_ligurian_section.nc").write_bytes(b"not a netcdf file" * 100)
    return catalog, data


def _ids(catalog: Path) -> list[str]:
    from portal.catalog.loader import load_catalog

    return [entry.id for entry in load_catalog([catalog])]


def test_demo_catalog_thumbnails_are_small_pngs_in_a_light_process(demo, tmp_path):
    out = tmp_path / "thumbs"
    res = subprocess.run([sys.executable, "-c", LOADED_ALL, "thumbnails", "--catalog", demo,
                          "-o", str(out)], capture_output=True, text=True, timeout=300,
                         cwd=REPO)
    assert res.returncode == 0, res.stderr
    loaded = res.stdout.split("LOADED", 1)[1]
    assert not [name for name in HEAVY + NOT_NEEDED if f"'{name}'" in loaded], loaded
    manifest = json.loads((out / "thumbnails.json").read_text())
    assert sorted(manifest) == sorted(_ids(Path(demo)))
    for item in manifest.values():
        with Image.open(out / item["file"]) as image:
            assert image.format == "PNG" and image.size == (320, 200)
            colours = image.convert("RGB").getcolors(maxcolors=100_000)
            assert colours is not None and len(colours) > 8  # data drawn, not a blank page
            assert max(colours)[0] < 0.95 * 320 * 200
    assert "7 written" in res.stdout and "thumbnails 7/7" in res.stderr  # plain progress


def test_broken_entry_is_reported_and_the_rest_written(folder, tmp_path, capsys):
    catalog, _ = folder
    out = tmp_path / "thumbs"
    assert main(["thumbnails", "--catalog", str(catalog), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 written" in captured.out and "1 failed" in captured.out
    broken = [i for i in _ids(catalog) if "glider" in i]
    assert len(broken) == 1 and f"failed   {broken[0]}:" in captured.err
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) == 2 and not any("glider" in p for p in pngs)
    # --strict turns any failure into exit status 1
    assert main(["thumbnails", "--catalog", str(catalog), "-o", str(out), "--strict"]) == 1


def test_up_to_date_thumbnails_are_skipped_until_the_file_changes(folder, tmp_path, capsys):
    catalog, data = folder
    out = tmp_path / "thumbs"
    main(["thumbnails", "--catalog", str(catalog), "-o", str(out)])
    manifest = json.loads((out / "thumbnails.json").read_text())
    argo = next(i for i in manifest if "9900002" in i)
    png = out / manifest[argo]["file"]
    before = png.stat().st_mtime_ns
    capsys.readouterr()
    main(["thumbnails", "--catalog", str(catalog), "-o", str(out)])
    assert "0 written, 2 up to date" in capsys.readouterr().out
    assert png.stat().st_mtime_ns == before
    stamp = (data / "9900002_prof.nc").stat().st_mtime + 10
    os.utime(data / "9900002_prof.nc", (stamp, stamp))  # a new data version
    main(["thumbnails", "--catalog", str(catalog), "-o", str(out)])
    assert "1 written, 1 up to date" in capsys.readouterr().out
    assert png.stat().st_mtime_ns != before
    assert json.loads((out / "thumbnails.json").read_text())[argo]["version"] != \
        manifest[argo]["version"]
    main(["thumbnails", "--catalog", str(catalog), "-o", str(out), "--width", "160",
          "--height", "100"])  # another size is not up to date
    assert "2 written" in capsys.readouterr().out
    with Image.open(png) as image:
        assert image.size == (160, 100)


def test_all_failed_exits_non_zero(folder, tmp_path, capsys):
    catalog, data = folder
    for path in data.glob("*.nc"):
        path.write_bytes(b"garbage")
    assert main(["thumbnails", "--catalog", str(catalog), "-o", str(tmp_path / "t")]) == 1
    assert "0 written" in capsys.readouterr().out


def test_file_names_are_safe_and_distinct():
    from portal.cli_thumbnails import file_name

    assert file_name("demo_sst") == "demo_sst.png"
    odd = {file_name(i) for i in ("a/b", "a_b", "a:b", "../x")}
    assert len(odd) == 4 and all("/" not in n and not n.startswith(".") for n in odd)


def test_forked_workers_write_what_one_process_writes(demo, tmp_path):
    """--jobs 2 (two forked workers, largest files first) gives the same files and
    manifest as --jobs 1, and reports every entry once."""
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}"
        res = subprocess.run([sys.executable, "-m", "portal", "thumbnails", "--catalog", demo,
                              "-o", str(out), "--jobs", str(jobs)], capture_output=True,
                             text=True, timeout=300, cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
        assert res.returncode == 0, res.stderr
        assert "7 written" in res.stdout and res.stderr.count("thumbnails ") == 7
        outs[jobs] = out
    one, two = (json.loads((outs[j] / "thumbnails.json").read_text()) for j in (1, 2))
    assert one == two
    for item in one.values():
        assert (outs[1] / item["file"]).read_bytes() == (outs[2] / item["file"]).read_bytes()
