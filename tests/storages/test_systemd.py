"""deploy/systemd/cgs@.service, as far as this machine (no systemd running) can take it:
``systemd-analyze verify`` accepts it, and its ExecStart line, run the way systemd would
for one instance (``%i`` expanded, WorkingDirectory, EnvironmentFile and Environment
applied), serves production.ini on its port against a real RelStorage after ``cgs-init``.
Replaced: /srv/cgs (the release folder) and /etc/cgs (the configuration folder) by test
folders, the user by the current one, /var/cache (the unit's ``CacheDirectory=``, created
here as systemd would) by a test folder. Skipped where systemd-analyze is not installed (the
verification only)."""
from __future__ import annotations

import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from storages import servers
from storages.conftest import ROOT

UNIT_FILE = ROOT / "deploy" / "systemd" / "cgs@.service"


def unit_for_test(etc: Path, cache: Path | None = None) -> str:
    """The unit with its release folder, configuration folder, user and (``cache``) the
    cache root /var/cache replaced."""
    text = UNIT_FILE.read_text()
    user = pwd.getpwuid(os.geteuid()).pw_name
    cache = cache or etc / "cache"
    for old, new in (("ExecStart=/srv/cgs/.venv/bin/", f"ExecStart={Path(sys.executable).parent}/"),
                     ("WorkingDirectory=/srv/cgs\n", f"WorkingDirectory={ROOT}\n"),
                     ("EnvironmentFile=/etc/cgs/env\n", f"EnvironmentFile={etc}/env\n"),
                     ("=zconfig:///etc/cgs/", f"=zconfig://{etc}/"),
                     ("CHAMELEON_CACHE=/var/cache/", f"CHAMELEON_CACHE={cache}/"),
                     ("User=cgs\n", f"User={user}\n"), ("Group=cgs\n", f"Group={user}\n")):
        assert text.count(old) == 1, f"deploy/systemd/cgs@.service no longer has exactly one {old!r}"
        text = text.replace(old, new)
    return text


def service_section(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_analyze_verifies_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "cgs@.service"
    unit.write_text(unit_for_test(tmp_path))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def free_instance() -> str:
    """An instance number whose port (65N0) is free on this machine."""
    for instance in "987654321":
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(f"65{instance}0"))) != 0:
                return instance
    pytest.skip("every port 6510-6590 is in use here")


def test_the_units_exec_start_serves_production_ini(tmp_path, own_postgres):
    etc = tmp_path / "etc"
    etc.mkdir()
    instance = free_instance()
    (etc / "env").write_text(f"CGS_SESSION_SECRET={secrets.token_urlsafe(32)}\n"
                             "CGS_PUBLIC_URL=https://cgs.example.edu.tw\n"
                             f"CGS_MAIL_QUEUE={tmp_path / 'mailqueue'}\n")
    (etc / f"relstorage-{instance}.conf").write_text(
        servers.relstorage_config(own_postgres.dsn("cgs"), tmp_path / f"blobs-{instance}"))
    cache = tmp_path / "var-cache"
    service = service_section(unit_for_test(etc, cache))
    for folder in service["CacheDirectory"]:  # what systemd creates before ExecStart
        (cache / folder).mkdir(parents=True, mode=0o700)
    env = {"PATH": "/usr/bin:/bin"}
    for path in service["EnvironmentFile"]:
        env.update(line.split("=", 1) for line in Path(path).read_text().splitlines() if "=" in line)
    for assignment in service["Environment"]:
        key, _, value = assignment.replace("%i", instance).partition("=")
        env[key] = value
    [workdir] = service["WorkingDirectory"]
    [exec_start] = service["ExecStart"]
    argv = shlex.split(exec_start.replace("%i", instance))
    init = subprocess.run([str(Path(argv[0]).with_name("cgs-init")), "production.ini"], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    process = subprocess.Popen(argv, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    port = int(f"65{instance}0")
    try:
        servers.wait_for_port(port, timeout=90, process=process)
        page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=30)
        assert page.status_code == 200 and "登入" in page.text
        assert page.headers["Strict-Transport-Security"]  # production.ini: served over https
        assert "secure" in page.headers["Set-Cookie"].lower()
        # the templates compiled for the page are kept in the unit's CHAMELEON_CACHE
        [folder] = service["CacheDirectory"]
        assert env["CHAMELEON_CACHE"] == str(cache / folder)
        assert any(name.endswith(".py") for name in os.listdir(cache / folder))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
