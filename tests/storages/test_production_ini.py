"""production.ini starts only with its secrets and URIs from the environment: the session
secret (CGS_SESSION_SECRET), the public URL (CGS_PUBLIC_URL) and the storage (CGS_ZODB_URI,
no file fallback in the ini); each one missing is a start-up error naming its variable."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pyramid.paster import get_app

from storages import servers
from storages.conftest import ROOT, close_app

INI = str(ROOT / "production.ini")
REQUIRED = ("CGS_SESSION_SECRET", "CGS_PUBLIC_URL", "CGS_ZODB_URI")


def production_environment(tmp_path: Path) -> dict:
    return {
        "CGS_SESSION_SECRET": secrets.token_urlsafe(32),
        "CGS_PUBLIC_URL": "https://cgs.example.edu.tw",
        "CGS_ZODB_URI": f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs",
        "CGS_MAIL_QUEUE": str(tmp_path / "mailqueue"),
    }


@pytest.fixture
def environment(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("CGS_"):
            monkeypatch.delenv(name)
    values = production_environment(tmp_path)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_production_ini_starts_with_its_environment(environment):
    app = get_app(INI)
    try:
        settings = app.registry.settings
        assert settings["zodbconn.uri"] == environment["CGS_ZODB_URI"]
        assert settings["cgs.public_url"] == environment["CGS_PUBLIC_URL"]
        assert settings["cgs.session_secret"] == environment["CGS_SESSION_SECRET"]
    finally:
        close_app(app)


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_ini_refuses_to_start_without(environment, monkeypatch, missing):
    monkeypatch.delenv(missing)
    with pytest.raises(ValueError, match=missing):
        close_app(get_app(INI))


@pytest.mark.parametrize("uri", ["memory://", "  "])
def test_production_refuses_a_storage_that_is_no_deployment(environment, monkeypatch, uri):
    monkeypatch.setenv("CGS_ZODB_URI", uri)
    with pytest.raises(ValueError, match="zodbconn.uri"):
        close_app(get_app(INI))


def test_pserve_production_ini_exits_with_the_reason(tmp_path):
    """What an operator sees: pserve stops at once, saying which variable is missing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CGS_")}
    env.update(production_environment(tmp_path))
    del env["CGS_ZODB_URI"]
    port = f"http_port={servers.free_port()}"
    done = subprocess.run([str(Path(sys.executable).parent / "pserve"), INI, port], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "zodbconn.uri is required in production (set CGS_ZODB_URI" in done.stderr
    assert "Serving on" not in done.stdout + done.stderr
