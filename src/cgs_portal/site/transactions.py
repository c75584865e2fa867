"""Ending a request's transaction early: long reads first, then a short transaction that writes.

ZODB checks conflicts against the state a transaction began with. An upload spends seconds
reading its workbook (a 5,000-row file: 1–3 s); if the transaction that stores it began
before that, every other unit of the county that filed meanwhile may have split the
county ledger's bucket the upload then writes, and the whole request is retried, reading
the workbook again (bench/peak.py: one upload used its five attempts this way and got the
503 page). So the filing views validate first, then call ``begin_again`` and write
against the newest state in a transaction of a few milliseconds.
"""
from __future__ import annotations


def begin_again(request) -> None:
    """Commit what the request's transaction holds (normally nothing: a commit without
    writes touches no storage) and begin a new one under ``pyramid_tm``, keeping its
    user and note for the transaction log. The request's connection stays open, so the
    objects the view holds stay valid and load their newest state."""
    manager = request.tm
    old = manager.get()
    user, note = old.user, old.description
    manager.commit()
    new = manager.begin()
    new.user = user
    if note:
        new.note(note)
