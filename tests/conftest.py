"""Shared fixtures: a fresh app per test on a throw-away FileStorage with blobs.

pyramid_tm runs normally (a POST then a GET sees the write), unlike the
starter's doomed-transaction fixture. Helpers live in ``support.py``.
"""
from __future__ import annotations

import pytest
import webtest

from cgs_portal import main
from cgs_portal.accounts import passwords
from storages import servers
from support import DEFAULT_NOW, add_account, add_unit, open_root

# Tests hash many passwords: use argon2's cheapest parameters (production keeps the defaults;
# verification reads the parameters from each stored hash, so both kinds verify).
passwords._hasher = passwords.PasswordHasher.from_parameters(passwords.CHEAPEST_PARAMETERS)


# -- storages: tests marked ``all_storages`` run on FileStorage, ZEO and RelStorage/PostgreSQL ---

STORAGES = ("file", "zeo", "relstorage")


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("all_storages") and "storage" in metafunc.fixturenames:
        metafunc.parametrize("storage", STORAGES, indirect=True)


def pytest_sessionfinish(session, exitstatus):
    from support import stop_shared_chromium

    stop_shared_chromium()


def pytest_collection_modifyitems(session, config, items):
    """Count the tests that want a ZEO storage: the session's server serves one each."""
    wanted = sum(1 for item in items
                 if getattr(item, "callspec", None) and item.callspec.params.get("storage") == "zeo")
    config.stash[ZEO_SLOTS] = wanted + EXTRA_ZEO_SLOTS


ZEO_SLOTS = pytest.StashKey[int]()
EXTRA_ZEO_SLOTS = 10


@pytest.fixture(scope="session")
def zeo_server(request, tmp_path_factory):
    """One ``runzeo`` for the session on a loopback port, one FileStorage per ZEO test."""
    slots = request.config.stash.get(ZEO_SLOTS, EXTRA_ZEO_SLOTS)
    try:
        server = servers.ZEOServer(tmp_path_factory.mktemp("zeo-server"),
                                   names=[str(n) for n in range(slots)])
        server.start()
    except servers.ServerMissing as why:
        servers.missing_server("ZEO", why)
    request.addfinalizer(server.stop)
    server.free = list(server.names)
    return server


@pytest.fixture(scope="session")
def postgres_cluster(request):
    """A throw-away PostgreSQL cluster for the session (stopped and removed at its end)."""
    try:
        cluster = servers.PostgresCluster()
        cluster.init()
    except servers.ServerMissing as why:
        servers.missing_server("PostgreSQL", why)
    request.addfinalizer(cluster.destroy)
    cluster.start()
    cluster.databases = 0
    return cluster


@pytest.fixture
def storage(request):
    """Which storage the ``settings`` fixture's URI names (``file`` unless parametrised)."""
    return getattr(request, "param", "file")


def storage_uri(request, storage: str, tmp_path) -> str:
    """A fresh, empty database of kind ``storage`` for one test."""
    if storage == "file":
        return f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs&blobstorage_layout=bushy"
    if storage == "zeo":
        server = request.getfixturevalue("zeo_server")
        if not server.free:
            pytest.fail("the session ZEO server has no unused storage left (see EXTRA_ZEO_SLOTS)")
        return server.uri(server.free.pop(0), tmp_path)
    if storage == "relstorage":
        cluster = request.getfixturevalue("postgres_cluster")
        cluster.databases += 1
        name = cluster.create_database(f"cgs_test_{cluster.databases}")
        request.addfinalizer(lambda: cluster.drop_database(name))
        return cluster.uri(name, tmp_path)
    raise ValueError(f"unknown storage {storage!r}")


@pytest.fixture
def settings(request, tmp_path, storage):
    return {
        "zodbconn.uri": storage_uri(request, storage, tmp_path),
        "cgs.session_secret": "test-secret-" + "x" * 40,
        "cgs.testing": "true",
        "cgs.clock.now": DEFAULT_NOW,
        "mail.debug_dir": str(tmp_path / "mail"),
        "mail.default_sender": "cgs-portal@example.invalid",
        "cgs.public_url": "http://localhost",  # webtest's host: mailed links stay followable
        "pyramid.reload_templates": "false",
    }


@pytest.fixture
def app(settings):
    wsgi = main({}, **settings)
    yield wsgi
    for db in getattr(wsgi.registry, "_zodb_databases", {}).values():
        db.close()


@pytest.fixture
def registry(app):
    return app.registry


@pytest.fixture
def clock(app):
    return app.registry.cgs_clock


@pytest.fixture
def portal(app):
    """``with portal() as root:`` — read or change the database outside requests."""
    return lambda: open_root(app)


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})


@pytest.fixture
def world(portal):
    """Two counties, units of several levels, and one account per role."""
    with portal() as root:
        add_unit(root, "013601", "新北市立示範光明國民小學", "國小", "65000")
        add_unit(root, "013501", "新北市立示範仁愛國民中學", "國中", "65000")
        add_unit(root, "333601", "臺北市立示範中正國民小學", "國小", "63000")
        add_unit(root, "01C001", "新北市學生輔導諮商中心（示範）", "輔諮中心", "65000")
        add_account(root, "013601_a001", unit_code="013601", personal_id="a001",
                    name="王老師", email="wang@example.invalid", phone="02-12345678")
        add_account(root, "333601_b001", unit_code="333601", personal_id="b001",
                    name="李老師", email="li@example.invalid")
        add_account(root, "ntpc_gov", role="county", county_code="65000", name="新北承辦",
                    email="ntpc@example.invalid")
        add_account(root, "helpdesk1", role="helpdesk", name="客服", email="hd@example.invalid")
        add_account(root, "admin1", role="admin", name="管理者", email="admin@example.invalid")
    return {
        "unit": "013601_a001",
        "other_unit": "333601_b001",
        "county": "ntpc_gov",
        "helpdesk": "helpdesk1",
        "admin": "admin1",
    }
