"""Shared plumbing of the console scripts: open the app's ZODB inside a transaction."""
from __future__ import annotations

import contextlib

from pyramid.paster import bootstrap, setup_logging
from pyramid_zodbconn import get_connection
from transaction.interfaces import NoTransaction


@contextlib.contextmanager
def portal_env(config_uri: str):
    """Yields (env, zodb_root, tm); the caller commits with ``tm`` (aborted on error).

    The databases are closed on the way out, so the storage's lock is released.
    """
    setup_logging(config_uri)
    registry = None
    try:
        with bootstrap(config_uri) as env:
            registry = env["registry"]
            request = env["request"]
            tm = request.tm
            tm.begin()
            try:
                zodb_root = get_connection(request).root()
                yield env, zodb_root, tm
            finally:
                try:
                    tm.abort()  # whatever the caller did not commit is discarded
                except NoTransaction:
                    pass
    finally:
        for db in getattr(registry, "_zodb_databases", {}).values():
            db.close()
