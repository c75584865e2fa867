"""Statistics: per-report aggregates rolled up by county and nation.

``engine`` is a plain library (no request, no ZODB); ``rollups`` reads the
content tree and caches county roll-ups per process.
"""


def includeme(config):
    """Nothing to register yet: the 資料查詢 views come with their own issue."""
