"""Catalog validation: each class of problem is reported, in words, with suggestions."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from portal.cataloging.validate import run_validate, validate_file

REPO = Path(__file__).resolve().parents[2]
HEADER = "version: 2\ndata: {}\naliases: {}\nmetadata: {}\nuser_parameters: {}\nentries:\n"


def entry(name: str = "ds", driver: str = "netcdf", urlpath: str = "{CATALOG_DIR}/a.nc",
          metadata: str = "{title: A, featureType: profile}", extra: str = "") -> str:
    return (f"  {name}:\n    reader: portal.catalog.readers:PortalReader\n"
            f"    output_instance: xarray:Dataset\n    user_parameters: {{}}\n"
            f"    kwargs: {{driver: {driver}, urlpath: '{urlpath}'}}\n"
            f"    metadata: {metadata}\n{extra}")


def check(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "a.nc").write_bytes(b"CDF\x01")
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return validate_file(path)


def test_a_valid_catalog_has_no_problem(tmp_path):
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "b1.nc").write_bytes(b"CDF\x01")
    text = HEADER + entry() + entry("glob", urlpath="{CATALOG_DIR}/more/b*.nc", metadata=(
        "{title: B, featureType: grid, bbox: [170, -10, -170, 10], "
        "time_coverage: ['2020-01-01T00:00:00Z', '2020-02-01'], vertical_coverage: [0, 5], "
        "variables: [{name: sst, units: degC, eov: Sea surface temperature}, plain]}"))
    assert check(tmp_path, text) == []


def test_committed_demo_catalog_is_valid(tmp_path):
    from portal.demo import ensure_demo

    (tmp_path / "catalogs").mkdir()
    shutil.copy(REPO / "catalogs" / "demo.yaml", tmp_path / "catalogs" / "demo.yaml")
    ensure_demo(str(tmp_path / "data" / "demo"), scale=0.005)
    assert validate_file(tmp_path / "catalogs" / "demo.yaml") == []


def test_yaml_syntax_error_names_the_line(tmp_path):
    problems = check(tmp_path, HEADER + "  ds: [unclosed\n")
    assert len(problems) == 1
    assert problems[0].startswith("YAML syntax error at line 8")


def test_version_1_catalog_is_refused(tmp_path):
    problems = check(tmp_path, "sources:\n  a:\n    driver: netcdf\n    args: {urlpath: a.nc}\n")
    assert len(problems) == 1 and "not a version-2 Intake catalog" in problems[0]
    assert "version-1" in problems[0]
    assert "not an Intake catalog" in check(tmp_path, "- just\n- a list\n")[0]


def test_unknown_keys_get_did_you_mean(tmp_path):
    text = HEADER + entry(metadata="{title: A, featuretype: profile, licence: CC0, "
                          "variables: [{name: T, unit: degC}]}", extra="    metdata: {}\n")
    problems = check(tmp_path, text)
    expected = "entry 'ds': unknown metadata key 'featuretype' — did you mean 'featureType'?"
    assert expected in problems
    assert "entry 'ds': unknown metadata key 'licence' — did you mean 'license'?" in problems
    assert "entry 'ds': unknown key 'metdata' — did you mean 'metadata'?" in problems
    assert "entry 'ds': variable 'T': unknown key 'unit' — did you mean 'units'?" in problems
    assert any("unknown top-level key 'entires'" in p for p in check(
        tmp_path, HEADER.replace("entries:", "entires: {}\nentries:") + entry()))


def test_unknown_driver_and_reader(tmp_path):
    text = HEADER + entry(driver="netcfd") + entry("r").replace(
        "portal.catalog.readers:PortalReader", "portal.catalog.readers:PortalReadr")
    problems = check(tmp_path, text)
    assert any(p.startswith("entry 'ds': unknown driver 'netcfd' — did you mean 'netcdf'?")
               for p in problems)
    assert any(p.startswith("entry 'r': unsupported reader 'portal.catalog.readers:PortalReadr'"
                            " — did you mean 'portal.catalog.readers:PortalReader'?")
               for p in problems)


def test_missing_files_globs_and_stores(tmp_path):
    store = ("  st:\n    reader: portal.catalog.readers:PortalReader\n    output_instance: "
             "xarray:Dataset\n    user_parameters: {}\n    kwargs: {driver: pointstore, "
             "store: '{CATALOG_DIR}/stores/none'}\n    metadata: {title: S}\n")
    text = (HEADER + entry(urlpath="{CATALOG_DIR}/../elsewhere/x.nc")
            + entry("g", urlpath="{CATALOG_DIR}/missing/*.nc") + entry("rel", urlpath="b.nc")
            + entry("odv", driver="odv", urlpath="{CATALOG_DIR}/a.txt") + store)
    problems = check(tmp_path, text)
    elsewhere = (tmp_path.parent / "elsewhere" / "x.nc").resolve()
    urlpath = "{CATALOG_DIR}/../elsewhere/x.nc"
    assert f"entry 'ds': file not found: {elsewhere} (urlpath '{urlpath}')" in problems
    assert any(p.startswith("entry 'g': no file matches '{CATALOG_DIR}/missing/*.nc'")
               for p in problems)
    assert any(p.startswith(f"entry 'rel': file not found: {tmp_path / 'b.nc'}") for p in problems)
    assert any(p.startswith("entry 'odv': file not found") for p in problems)
    assert f"entry 'st': point-store folder not found: {tmp_path / 'stores' / 'none'}" in problems


def test_unknown_feature_type_lists_valid_ones(tmp_path):
    problems = check(tmp_path, HEADER + entry(metadata="{title: A, featureType: timeseries}"))
    assert problems == [
        "entry 'ds': unknown featureType 'timeseries' — did you mean 'timeSeries'? (valid: grid, "
        "profile, timeSeries, trajectory, timeSeriesProfile, trajectoryProfile, point, metadata)"]


@pytest.mark.parametrize("bbox, message", [
    ("[1, 2, 3]", "bbox must be 4 numbers [west, south, east, north], got [1, 2, 3]"),
    ("[a, 2, 3, 4]", "bbox must be 4 numbers"),
    ("[-5, 40, 5, 95]", "bbox latitudes out of range [-90, 90]: south=40.0, north=95.0"),
    ("[-5, 50, 5, 40]", "bbox south (50.0) is north of north (40.0)"),
    ("[-500, 40, 5, 50]", "bbox longitudes out of range"),
    ("[10, 40, 5, 50]", "bbox west (10.0) > east (5.0) and it does not cross 180°"),
])
def test_bad_bbox(tmp_path, bbox, message):
    problems = check(tmp_path, HEADER + entry(metadata=f"{{title: A, bbox: {bbox}}}"))
    assert problems[0].startswith(f"entry 'ds': {message}"), problems
    # the loader skips such an entry (logged) instead of failing: nothing said twice
    assert problems[1:] == [], problems


@pytest.mark.parametrize("coverage, message", [
    ("[2020-01-01, not-a-date]", "time_coverage value 'not-a-date' is not an ISO-8601"),
    ("['2021-01-01', '2020-01-01']", "time_coverage starts (2021-01-01) after it ends"),
    ("'2020-01-01'", "time_coverage must be [start, end]"),
])
def test_bad_time_coverage(tmp_path, coverage, message):
    problems = check(tmp_path, HEADER + entry(metadata=f"{{title: A, time_coverage: {coverage}}}"))
    assert len(problems) == 1 and problems[0].startswith(f"entry 'ds': {message}"), problems


def test_duplicate_ids_are_reported_and_both_entries_checked(tmp_path):
    text = HEADER + entry(metadata="{title: A, featureType: bad1}") + entry(
        metadata="{title: B, featureType: bad2}")
    problems = check(tmp_path, text)
    assert problems[0] == ("duplicate dataset id 'ds' at line 13 (first at line 7): ids must be "
                           "unique; YAML keeps only the last entry")
    assert any("'bad1'" in p for p in problems) and any("'bad2'" in p for p in problems)


def test_what_intake_needs_is_checked_and_intake_is_asked(tmp_path):
    text = ("version: 2\nentries:\n  ds:\n    reader: portal.catalog.readers:PortalReader\n"
            "    kwargs: {urlpath: a.nc}\n")
    problems = check(tmp_path, text)
    assert "missing top-level key 'user_parameters' (Intake 2 fails without it; write " \
           "'user_parameters: {}')" in problems
    assert "entry 'ds': no 'output_instance' (Intake needs it; use xarray:Dataset)" in problems
    assert any(p.startswith("entry 'ds': no 'user_parameters'") for p in problems)
    assert any(p.startswith("entry 'ds': no 'driver' in kwargs") for p in problems)
    assert "entry 'ds': no 'metadata' block (title, featureType, variables...)" in problems
    assert problems[-1].startswith("Intake refuses the catalog (KeyError:")


def test_every_problem_is_reported(tmp_path):
    text = HEADER + entry("a", driver="nope", metadata="{titel: A, bbox: [1]}") + entry(
        "b", urlpath="{CATALOG_DIR}/gone.nc", metadata="{featureType: x, time_coverage: [1]}")
    problems = check(tmp_path, text)
    assert [p.split(":")[0] for p in problems[:6]] == ["entry 'a'"] * 3 + ["entry 'b'"] * 3
    assert problems[6:] == []  # the loader skips (and logs) entry b; already reported above


def test_run_validate_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    (tmp_path / "a.nc").write_bytes(b"CDF\x01")
    good.write_text(HEADER + entry() + entry("two"))
    assert run_validate(argparse.Namespace(file=str(good))) == 0
    assert capsys.readouterr().out.strip() == "OK: 2 datasets"
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + entry(driver="netcfd"))
    assert run_validate(argparse.Namespace(file=str(bad))) == 1
    out = capsys.readouterr().out
    assert "unknown driver 'netcfd'" in out and "1 problem(s) in" in out
    assert run_validate(argparse.Namespace(file=str(tmp_path / "none.yaml"))) == 1
    assert "cannot read catalog file" in capsys.readouterr().out
