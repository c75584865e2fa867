"""Statistics: per-report aggregates rolled up by county and nation.

``vocabulary`` names the tables and their keys; ``totals`` merges them (both plain
libraries: no request, no ZODB); ``rollups`` reads the content tree and caches county
roll-ups per process.
"""


def includeme(config):
    """Nothing to register yet: the 資料查詢 views come with their own issue."""
