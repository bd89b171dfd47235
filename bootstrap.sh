#!/usr/bin/env bash
# Set-up for odatis-portal on a fresh Debian machine with Python 3.11.
#   bash bootstrap.sh serve   install the portal and serve the demo catalog on :5006
#   bash bootstrap.sh test    install everything (test extras, Debian chromium), run all tests
# Everything lands in ./.venv; Debian packages are installed with apt-get (sudo if not root).
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-serve}"; shift || true
PY="${PYTHON:-python3}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_install() {  # install Debian packages that are missing
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ ${#missing[@]} -gt 0 ]; then
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
    fi
}

make_venv() {
    if [ ! -x .venv/bin/python ]; then
        "$PY" -m venv .venv 2>/dev/null || { apt_install python3-venv; "$PY" -m venv .venv; }
    fi
    .venv/bin/python -m pip install -q --upgrade pip
}

case "$mode" in
  serve)
    make_venv
    .venv/bin/python -m pip install -q -e .
    exec .venv/bin/odatis-portal serve "$@"
    ;;
  test)
    apt_install chromium fonts-dejavu-core nginx-light  # nginx: the reverse-proxy test
    make_venv
    .venv/bin/python -m pip install -q -e ".[test]"
    .venv/bin/odatis-portal demo
    set +e
    .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
    status=$?
    set -e
    if [ "$status" -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi
    .venv/bin/ruff check portal tests bench
    .venv/bin/mypy  # 0 errors at the strictness stated in pyproject.toml; any error fails the run
    .venv/bin/python bench/bench_quicklooks.py --quick
    .venv/bin/python bench/bench_pointstore.py --n 1e6 --repeat 3 --peer-repeat 1  # CI size
    .venv/bin/python bench/bench_render.py --repeat 3   # map PNGs over HTTP vs plain Datashader
    .venv/bin/python bench/bench_search.py              # search of 10,000 entries vs a scan
    .venv/bin/python bench/bench_zoom.py --short        # map zoom to new pixels in Chromium
    exit "$status"
    ;;
  *)
    echo "usage: bash bootstrap.sh serve|test [args]" >&2; exit 2 ;;
esac
