"""The deployment recipes: ``Containerfile`` and ``deploy/odatis-portal.service``.

The Containerfile is parsed instruction by instruction (a base of ``python:3.11-slim``,
every ``COPY`` source present, the wheel installed, a non-root user, an exec-form
``ENTRYPOINT`` whose ``serve`` arguments the real CLI parser accepts, the health check
on the exposed port); the image is built only with ``PORTAL_BUILD_IMAGE=1`` and a
working podman or docker. The systemd unit is checked structurally (its command line
through the CLI parser, reload by ``SIGHUP``) and by ``systemd-analyze verify`` where
systemd is installed, with the executable replaced by a stub.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
CONTAINERFILE = REPO / "Containerfile"
UNIT = REPO / "deploy" / "odatis-portal.service"
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
                "SHELL"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def serve_args(argv: list[str]):
    assert argv[:2] == ["odatis-portal", "serve"], argv
    return build_parser().parse_args(argv[1:])


def test_containerfile_instructions():
    steps = instructions(CONTAINERFILE.read_text())
    assert {word for word, _ in steps} <= INSTRUCTIONS
    bases = [rest.split()[0] for word, rest in steps if word == "FROM"]
    assert bases and all(b == "python:3.11-slim" for b in bases)
    final = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    for word, rest in steps:
        if word == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert (REPO / source).exists(), f"COPY source {source} missing"
    last = steps[final:]
    assert any(w == "RUN" and "pip install" in r and ".whl" in r for w, r in last)
    users = [r for w, r in last if w == "USER"]
    assert users and users[-1] not in ("root", "0")
    entry = json.loads(next(r for w, r in last if w == "ENTRYPOINT"))  # exec form
    cmd = json.loads(next((r for w, r in last if w == "CMD"), "[]"))
    args = serve_args([*entry, *cmd])
    exposed = [r for w, r in last if w == "EXPOSE"]
    assert exposed == [str(args.port)] and args.address == "0.0.0.0"
    health = next(r for w, r in last if w == "HEALTHCHECK")
    assert f"http://localhost:{args.port}/health" in health
    assert "localhost" in args.public_url  # the health check's Host passes the Host check


def _builder() -> str | None:
    for tool in ("podman", "docker"):
        path = shutil.which(tool)
        if path and subprocess.run([path, "info"], capture_output=True).returncode == 0:
            return path
    return None


def test_container_image_builds():
    builder = _builder()
    if os.environ.get("PORTAL_BUILD_IMAGE") != "1" or builder is None:
        pytest.skip("image build needs PORTAL_BUILD_IMAGE=1 and a working podman/docker")
    subprocess.run([builder, "build", "-t", "odatis-portal:test", "-f", str(CONTAINERFILE),
                    str(REPO)], check=True, timeout=1800)


def unit_sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sections of a systemd unit as lists of (key, value); keys may repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, sep, value = line.partition("=")
            assert current is not None and sep, f"bad unit line {line!r}"
            current.append((key.strip(), value.strip()))
    return sections


def test_systemd_unit_structure():
    sections = unit_sections(UNIT.read_text())
    assert set(sections) == {"Unit", "Service", "Install"}
    service = sections["Service"]
    start = [v for k, v in service if k == "ExecStart"]
    assert len(start) == 1
    argv = shlex.split(start[0])
    args = serve_args(["odatis-portal", *argv[1:]])
    assert Path(argv[0]).name == "odatis-portal" and args.address == "127.0.0.1"
    assert args.prefix == "/portail" and args.public_url.startswith("https://")
    reloads = [v for k, v in service if k == "ExecReload"]
    assert reloads and all("HUP" in r for r in reloads)
    user = dict(service).get("User")
    assert user and user != "root"
    assert ("WantedBy", "multi-user.target") in sections["Install"]


def test_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    stub = tmp_path / "odatis-portal"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    unit = tmp_path / "odatis-portal.service"
    unit.write_text(UNIT.read_text().replace("/opt/odatis-portal/bin/odatis-portal", str(stub)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60)
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if "odatis-portal.service" in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr
