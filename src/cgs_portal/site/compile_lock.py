"""One Chameleon template compiles at a time in a process (found by bench/peak.py).

Templates are compiled on their first render. Under load the first requests after a start
render the same pages in several waitress threads at once, and CPython 3.11's ``compile()``
run concurrently on ASTs fails with ``SystemError: AST constructor recursion depth
mismatch`` (a 500 on 當期填報 in the first seconds of the peak). Compiling is rare (once per
template per process), so a process-wide lock around it costs nothing afterwards.
"""
from __future__ import annotations

import functools
import threading

from chameleon.template import BaseTemplate

_LOCK = threading.RLock()


def _serialised(cook):
    @functools.wraps(cook)
    def locked_cook(self, body):
        with _LOCK:
            return cook(self, body)

    locked_cook.cgs_locked = True
    return locked_cook


def includeme(config):
    if not getattr(BaseTemplate.cook, "cgs_locked", False):
        BaseTemplate.cook = _serialised(BaseTemplate.cook)
