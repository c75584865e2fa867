"""Shared plumbing of the console scripts: open the app's ZODB inside a transaction."""
from __future__ import annotations

import contextlib

from pyramid.paster import bootstrap, setup_logging
from pyramid_zodbconn import get_connection
from transaction.interfaces import NoTransaction


@contextlib.contextmanager
def portal_env(config_uri: str):
    """Yields (env, zodb_root, tm); the caller commits with ``tm`` (aborted on error)."""
    setup_logging(config_uri)
    with bootstrap(config_uri) as env:
        request = env["request"]
        tm = request.tm
        tm.begin()
        try:
            zodb_root = get_connection(request).root()
            yield env, zodb_root, tm
        except BaseException:
            tm.abort()
            raise
        else:
            try:
                tm.abort()  # whatever the caller did not commit is discarded
            except NoTransaction:
                pass
