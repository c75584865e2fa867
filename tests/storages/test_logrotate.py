"""deploy/logrotate/cgs-zeo, run: ``logrotate -d`` parses it, and a forced rotation of a
real ZEO server's log moves and compresses it while the server, told by SIGUSR2 (the
file's postrotate), reopens a fresh log and keeps serving. Only the log's path and the
command that signals the server are replaced. Skipped where logrotate is not installed."""
from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from storages.conftest import ROOT, wait_until

SNIPPET = ROOT / "deploy" / "logrotate" / "cgs-zeo"


def logrotate() -> str:
    found = shutil.which("logrotate") or ("/usr/sbin/logrotate" if Path("/usr/sbin/logrotate").exists() else None)
    if found is None:
        pytest.skip("logrotate is not installed (apt-get install logrotate)")
    return found


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/logrotate/cgs-zeo no longer has exactly one {old!r}"
    return text.replace(old, new)


def test_the_zeo_log_is_rotated_and_reopened(tmp_path, own_zeo):
    command = logrotate()
    log = own_zeo.folder / "zeo.log"
    assert wait_until(lambda: log.exists() and log.stat().st_size > 0, timeout=10)
    before = log.read_text()
    conf = tmp_path / "cgs-zeo"
    text = replace_once(SNIPPET.read_text(), "/var/log/cgs/zeo.log {", f"{log} {{")
    conf.write_text(replace_once(text, "systemctl kill -s USR2 cgs-zeo.service",
                                 f"kill -USR2 {own_zeo.process.pid}"))
    state = tmp_path / "logrotate.state"
    debug = subprocess.run([command, "-d", "-s", str(state), str(conf)], capture_output=True, text=True)
    assert debug.returncode == 0 and "error:" not in debug.stdout + debug.stderr, debug.stderr

    forced = subprocess.run([command, "-f", "-s", str(state), str(conf)], capture_output=True, text=True)
    assert forced.returncode == 0, forced.stderr
    rotated = log.with_name("zeo.log.1.gz")
    assert gzip.decompress(rotated.read_bytes()).decode().startswith(before)
    # runzeo reopened a new zeo.log on SIGUSR2 and still serves
    assert wait_until(lambda: log.exists() and "reopened" in log.read_text(), timeout=10)
    assert own_zeo.process.poll() is None
    from ZEO.ClientStorage import ClientStorage

    client = ClientStorage(("127.0.0.1", own_zeo.port), storage="1", wait_timeout=10,
                           blob_dir=str(tmp_path / "blobcache"), shared_blob_dir=False)
    try:
        assert client.is_connected()
        # the server writes to the new file, not to the one logrotate moved away
        assert wait_until(lambda: "Connected" in log.read_text(), timeout=10)
    finally:
        client.close()
