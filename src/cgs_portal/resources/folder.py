"""BTree-backed containers that set ``__name__``/``__parent__`` on add."""
from __future__ import annotations

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent


class Folder(Persistent):
    """A persistent container of named children, cheap at hundreds of thousands."""

    __name__ = None
    __parent__ = None

    def __init__(self):
        self.data = OOBTree()
        self._num_objects = Length()

    def __getitem__(self, name):
        return self.data[name]

    def get(self, name, default=None):
        return self.data.get(name, default)

    def __contains__(self, name):
        return name in self.data

    def __len__(self):
        return self._num_objects()

    def __iter__(self):
        return iter(self.data.keys())

    def keys(self, min=None, max=None):  # noqa: A002 - BTree vocabulary
        return self.data.keys(min, max)

    def values(self, min=None, max=None):  # noqa: A002
        return self.data.values(min, max)

    def items(self, min=None, max=None):  # noqa: A002
        return self.data.items(min, max)

    def add(self, name: str, other):
        """Add ``other`` as ``name``; refuses to overwrite an existing child."""
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"bad child name {name!r}")
        if name in self.data:
            raise KeyError(f"{name!r} already exists")
        other.__name__ = name
        other.__parent__ = self
        self.data[name] = other
        self._num_objects.change(1)
        return other

    __setitem__ = add

    def remove(self, name: str):
        """Take the child ``name`` out; it no longer names this folder as its parent."""
        other = self.data.pop(name)
        self._num_objects.change(-1)
        other.__parent__ = None
        return other

    def clear(self) -> None:
        """Drop every child at once (without loading them)."""
        self.data = OOBTree()
        self._num_objects = Length()

    def __repr__(self):
        return f"<{type(self).__name__} {self.__name__!r} ({len(self)})>"
