"""The vocabulary of the statistics: which tables a month's aggregates hold, and their keys.

A counter table is a flat ``{key: int}`` dict whose key joins the codes of its dimensions
with ``|`` in the order given here (table I: ``"main_category|grade|sex|staff_type"``), so
roll-ups are plain sums and everything is JSON-able. The workbook engine writes these
tables, the statistics read them: both import the names from here. Plain Python: no web,
no database, no workbook import.
"""
from __future__ import annotations

KEY_SEP = '|'

#: The counter tables (tables I–VII of the domain spec and the closures) and their key order.
TABLE_KEYS = {
    'I_main': ('main_category', 'grade', 'sex', 'staff_type'),
    'I_sub': ('sub_category', 'grade', 'sex', 'staff_type'),
    'II': ('case_status', 'grade', 'sex', 'staff_type'),
    'III': ('main_category', 'grade', 'sex', 'staff_type'),      # Σ sessions, not rows
    'IV': ('case_source', 'grade', 'sex', 'staff_type'),         # new cases only
    'V': ('referral', 'grade', 'sex', 'staff_type'),
    'VI': ('student_status', 'grade', 'sex', 'staff_type'),
    'VII': ('service_item', 'target', 'sex', 'staff_type'),      # Σ persons served
    'VII_events': ('service_item', 'target', 'staff_type'),      # Σ events
    'closure': ('closure', 'grade', 'sex', 'staff_type'),
}
#: The counter tables, in the order the aggregates list them.
COUNTER_TABLES = tuple(TABLE_KEYS)
#: Table VIII: distinct teachers per staff type (``{staff_type: n}``), not a counter sum.
TEACHERS_TABLE = 'VIII'


def join_key(codes) -> str:
    """The counter key of a tuple of codes (``(5, 7, 2, 1)`` → ``"5|7|2|1"``)."""
    return KEY_SEP.join(map(str, codes))


def key_codes(table: str, key: str, *fields: str) -> tuple[int, ...]:
    """The codes of ``fields`` in a counter key of ``table`` (as ints)."""
    parts = key.split(KEY_SEP)
    order = TABLE_KEYS[table]
    return tuple(int(parts[order.index(name)]) for name in fields)
