"""Announcements (公告) shown on the login page: scheduled, ordered, retired.

An announcement is public only in its window (``starts_on`` … ``ends_on``, both days
included, either open) and until it is retired. The board keeps them by id; the login
page shows the public ones by ``order`` then start date. Announcements stored before
scheduling existed get the class defaults (always shown, order 0).
"""
from __future__ import annotations

import datetime as dt
import secrets

from BTrees.OOBTree import OOBTree
from persistent import Persistent

SCHEDULED, SHOWN, ENDED, RETIRED = "scheduled", "shown", "ended", "retired"
STATUS_LABELS = {SCHEDULED: "尚未開始", SHOWN: "公告中", ENDED: "已過期", RETIRED: "已下架"}
TEXT_MAX = 1000
ORDER_MAX = 999


class Announcement(Persistent):
    # Defaults for announcements stored before these attributes existed.
    id = None
    starts_on = None
    ends_on = None
    order = 0
    retired_on = None
    changed_at = None
    changed_by = ""

    def __init__(self, text: str, *, important: bool = True, published_on=None, starts_on=None,
                 ends_on=None, order: int = 0):
        self.text = text
        self.important = important
        self.published_on = published_on
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.order = order

    def status_on(self, today: dt.date) -> str:
        if self.retired_on is not None:
            return RETIRED
        if self.starts_on is not None and today < self.starts_on:
            return SCHEDULED
        if self.ends_on is not None and today > self.ends_on:
            return ENDED
        return SHOWN

    def is_shown_on(self, today: dt.date) -> bool:
        return self.status_on(today) == SHOWN

    def update(self, *, text, important, starts_on, ends_on, order, who: str, now: dt.datetime):
        if starts_on is not None and ends_on is not None and ends_on < starts_on:
            raise ValueError("公告的結束日期不可早於開始日期。")
        self.text, self.important, self.order = text, important, order
        self.starts_on, self.ends_on = starts_on, ends_on
        self.changed_at, self.changed_by = now, who

    def retire(self, today: dt.date, who: str, now: dt.datetime):
        self.retired_on = today
        self.changed_at, self.changed_by = now, who

    def restore(self, who: str, now: dt.datetime):
        self.retired_on = None
        self.changed_at, self.changed_by = now, who

    def describe(self) -> str:
        """One line for the audit log: window, order and the text's start."""
        window = f"{_day(self.starts_on)}～{_day(self.ends_on)}"
        return f"{window}；順序 {self.order}；{self.text[:60]}"


def _day(day) -> str:
    return day.isoformat() if day else "不限"


class Board(Persistent):
    """Every announcement by id (the login page's box and the back office's list)."""

    def __init__(self):
        self.items = OOBTree()

    def append(self, announcement: Announcement) -> Announcement:
        key = secrets.token_hex(4)
        while key in self.items:
            key = secrets.token_hex(4)
        announcement.id = key
        self.items[key] = announcement
        return announcement

    def get(self, key):
        return self.items.get(key) if isinstance(key, str) else None

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        """Every announcement in display order (order, then start day, then id)."""
        return iter(sorted(self.items.values(),
                           key=lambda a: (a.order, a.starts_on or dt.date.min, a.id or "")))

    def public(self, today: dt.date) -> list[Announcement]:
        return [a for a in self if a.is_shown_on(today)]


def public_announcements(root, today: dt.date) -> list[Announcement]:
    """What the login page shows today (a database not evolved yet shows its stored list)."""
    board = root.announcements
    return [a for a in board if a.is_shown_on(today)]
