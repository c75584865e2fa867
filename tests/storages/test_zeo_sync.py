"""Every ZEO client of the portal syncs with its server at each transaction's start, whatever
the URI says (zodburi's ``zeo://`` cannot set ``server_sync``): statistics never stale."""
from __future__ import annotations

import pytest

from cgs_portal import main


@pytest.mark.parametrize("storage", ["zeo"], indirect=True)
def test_a_zeo_uri_gets_server_sync(settings):
    assert settings["zodbconn.uri"].startswith("zeo://")
    app = main({}, **settings)
    try:
        storages = [db.storage for db in app.registry._zodb_databases.values()]
        assert storages and all(storage.server_sync is True for storage in storages)
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()


def test_a_filestorage_is_left_alone(settings):
    app = main({}, **settings)
    try:
        storage = app.registry._zodb_databases[""].storage
        assert not hasattr(storage, "server_sync")
    finally:
        app.registry._zodb_databases[""].close()
