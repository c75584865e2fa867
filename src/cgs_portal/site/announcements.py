"""Announcements shown on the login page (maintenance notices, reminders)."""
from __future__ import annotations

from persistent import Persistent


class Announcement(Persistent):
    def __init__(self, text: str, *, important: bool = True, published_on=None):
        self.text = text
        self.important = important
        self.published_on = published_on
