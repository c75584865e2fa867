"""The scheduled pack (``zeopack -d N`` on ZEO, ``zodbpack`` on RelStorage) keeps every
current filing and blob, and does remove what nothing references any more."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import transaction
from persistent.mapping import PersistentMapping
from ZODB.blob import Blob
from ZODB.POSException import POSKeyError

from cgs_portal import main
from storages.conftest import close_app
from storages.inventory import inventory_of
from storages.test_backup_restore import some_filings

BIN = Path(sys.executable).parent


def make_garbage(settings) -> bytes:
    """An object with a blob, committed and then dropped: the oid a pack must remove."""
    app = main({}, **settings)
    try:
        db = app.registry._zodb_databases[""]
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        conn = db.open(transaction_manager=tm)
        garbage = conn.root()["garbage"] = PersistentMapping()
        garbage["blob"] = Blob(b"nobody needs this any more")
        tm.commit()
        oid = garbage["blob"]._p_oid
        tm.begin()
        del conn.root()["garbage"]
        tm.commit()
        conn.close()
        return oid
    finally:
        close_app(app)


def load_oid(uri, oid):
    from ZODB import DB
    from zodburi import resolve_uri

    factory, dbkw = resolve_uri(uri)
    db = DB(factory(), **dbkw)
    try:
        conn = db.open()
        try:
            obj = conn.get(oid)
            obj._p_activate()
            with obj.open("r") as f:
                return f.read()
        finally:
            conn.close()
    finally:
        db.close()


def pack_config(tmp_path, dsn) -> Path:
    """zodbpack's config: the storage section alone, with the app's blob settings."""
    path = tmp_path / "zodbpack.conf"
    path.write_text("%import relstorage\n<relstorage>\n  keep-history false\n  pack-gc true\n"
                    f"  shared-blob-dir false\n  blob-dir {tmp_path / 'pack-blobcache'}\n"
                    f"  blob-cache-size 100mb\n  <postgresql>\n    dsn {dsn}\n  </postgresql>\n</relstorage>\n")
    return path


@pytest.mark.parametrize("storage", ["zeo", "relstorage"], indirect=True)
def test_pack_keeps_every_current_filing_and_blob(tmp_path, storage, settings, request):
    uri = settings["zodbconn.uri"]
    some_filings(settings, ((2024, 8), (2024, 9), (2024, 10)))
    oid = make_garbage(settings)
    assert load_oid(uri, oid) == b"nobody needs this any more"
    before = inventory_of(uri)
    if storage == "zeo":
        server = request.getfixturevalue("zeo_server")
        name = uri.split("storage=")[1].split("&")[0]
        command = [str(BIN / "zeopack"), "-d", "0", f"127.0.0.1:{server.port}:{name}"]
    else:
        from cgs_portal.scripts.backup import relstorage_dsn

        command = [str(BIN / "zodbpack"), "-d", "0", str(pack_config(tmp_path, relstorage_dsn(uri)))]
    subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    for cache in tmp_path.glob("blobcache-*"):
        import shutil

        shutil.rmtree(cache)  # read the blobs from the server, not from this client's cache
    assert inventory_of(uri) == before  # every report, filing, upload and blob SHA-256
    with pytest.raises(POSKeyError):
        load_oid(uri, oid)  # the pack did run: the unreferenced blob is gone
