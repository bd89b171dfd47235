"""``catalog scan`` of a folder of malformed and hostile files (generated, see malformed.py):
each file is a dataset or a refusal of an enumerated kind, within the per-file time limit;
nothing leaves the folder, no control character reaches the terminal, and a good dataset in
the same folder still scans and renders afterwards."""

from __future__ import annotations

import argparse
import re
import time

import pytest

from tests.cataloging.malformed import GOOD, build_corpus

# files that must be refused, and the kinds each may get
MUST_REFUSE = {  # first matching key wins
    "classic_huge_records": ("truncated", "too-large"),
    "truncated": ("truncated", "unreadable", "not-a-data-file"),
    "header13": ("truncated", "unreadable"),
    "header_hdf5_junk": ("truncated", "unreadable"),
    "huge_line": ("not-a-data-file",),
    "huge_": ("timed-out", "too-large"),
    "compression_bomb": ("timed-out", "too-large", "worker-crashed"),
    "all_nan": ("no-records",), "all_fill": ("no-records",), "fill_clash": ("no-records",),
    "no_variables": ("no-data-variables",), "coords_only": ("no-data-variables",),
    "ragged_odv": ("no-data-variables", "no-records", "unreadable"),
    "header_only_odv": ("no-records",),
    "link_": ("outside-folder",),
    "empty": ("empty",),
    "image": ("not-a-data-file",), "notes": ("not-a-data-file",),
    "archive": ("not-a-data-file",), "page": ("not-a-data-file",),
    ".parquet": ("not-a-data-file", "unreadable"),
    "edge_AG2005040_BadFile": ("not-a-data-file", "truncated", "unreadable"),
    "edge_trajectoryAoml_tsg_allfill": ("no-records",),
}
MAY_BE_DATASETS = ("bad_units", "bad_time_units", "bad_calendar", "tex_units", "control_chars",
                   "netcdf_named", "edge_wod2005_profile_nan_only_vars", "fill_string")
PER_FILE_S = 9.0


def _allowed(name: str) -> tuple[str, ...] | None:
    return next((kinds for key, kinds in MUST_REFUSE.items() if key in name), None)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    import portal.cataloging.worker as worker
    from portal.cataloging.scan import run_scan

    folder = tmp_path_factory.mktemp("corpus")
    names = build_corpus(folder / "data", folder / "outside")
    old = worker.TIMEOUT_S, worker.MEMORY_MB
    worker.TIMEOUT_S, worker.MEMORY_MB = PER_FILE_S, 1024
    lines: list[str] = []
    start = time.monotonic()
    try:
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            status = run_scan(argparse.Namespace(dir=str(folder / "data"),
                                                 output=str(folder / "catalog.yaml")))
        lines = buf.getvalue().splitlines()
    finally:
        worker.TIMEOUT_S, worker.MEMORY_MB = old
    return folder, names, status, lines, time.monotonic() - start


def test_corpus_is_large_enough(scanned):
    _, names, *_ = scanned
    assert len(names) >= 40


def test_every_file_is_a_dataset_or_a_refusal_of_a_known_kind(scanned):
    from portal.cataloging.refusals import SKIP_KINDS

    folder, names, status, lines, seconds = scanned
    assert status == 0, lines
    kinds = {}
    for line in lines:
        match = re.match(r"skipped  (\S+) \[([a-z-]+)\]: (.+)$", line)
        if match:
            assert match.group(2) in SKIP_KINDS, line
            assert len(match.group(3)) > 5
            kinds[match.group(1)] = match.group(2)
    datasets = {line.split()[1] for line in lines if line.startswith("dataset  ")}
    for name in names:
        if (folder / "data" / name).is_dir() and not (folder / "data" / name).is_symlink():
            continue
        allowed = _allowed(name)
        if allowed is not None:
            assert kinds.get(name) in allowed, (name, kinds.get(name), allowed)
        else:
            stem = name.rsplit(".", 1)[0].lower()
            assert name in kinds or stem in MAY_BE_DATASETS, (name, lines)
    assert "zz_good" in datasets and "link_out_good" not in datasets
    # time bound: per file at most the limit (+ a reader restart), the whole corpus well within
    assert seconds < PER_FILE_S * 3 + 2.0 * len(names), seconds


def test_nothing_outside_the_folder_is_read_nor_control_characters_printed(scanned):
    _, _, _, lines, _ = scanned
    text = "\n".join(lines)
    assert "root:x:0" not in text and "hunter2" not in text and "/etc/passwd" not in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), "control characters printed"


def test_the_good_dataset_still_renders(scanned):
    from portal.catalog.loader import load_catalog
    from portal.render.quicklook import render_quicklook_png

    folder, *_ = scanned
    catalog = load_catalog([str(folder / "catalog.yaml")])
    assert GOOD.removesuffix(".nc") in catalog.entries
    png = render_quicklook_png(catalog[GOOD.removesuffix(".nc")], "map")
    assert png.startswith(b"\x89PNG") and len(png) > 2000
