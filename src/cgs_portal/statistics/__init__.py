"""Statistics (資料查詢): the columnar index of every filed row and the tables drawn from it.

``index`` holds the rows as numpy columns and ``query`` answers every table from them
(with ``suppress`` and ``xlsx``); ``history`` serves a unit's own rows (填報紀錄); these
are plain libraries, no request and no ZODB. ``feed`` keeps a process's index up to date
from the database, ``snapshot`` saves it to a local file, ``memory`` tunes the allocator
for the query temporaries; the pages are in ``views``. ``rollups``, ``totals`` and
``vocabulary`` are the older per-report aggregates design the bench compares with
(docs/statistics.md).
"""


def includeme(config):
    """The views register themselves (``cgs_portal.main`` includes ``statistics.views.*``)."""
