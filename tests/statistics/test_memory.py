"""statistics.memory: glibc's allocator keeps the query temporaries between queries."""
import ctypes

import pytest

from cgs_portal.statistics import memory


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(memory, "_done", {})


class FakeLibc:
    def __init__(self, answer=1):
        self.calls, self.answer = [], answer

    def mallopt(self, option, value):
        self.calls.append((option, value))
        return self.answer


def test_sets_the_three_thresholds_once(fresh, monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(memory, "_libc", lambda: libc)
    assert memory.keep_freed_memory(64, 256, 16)  # capped at glibc's 32 MB
    assert libc.calls == [(memory.M_MMAP_THRESHOLD, 32 << 20), (memory.M_TRIM_THRESHOLD, 256 << 20),
                          (memory.M_TOP_PAD, 16 << 20)]
    assert memory.keep_freed_memory(32, 256, 16)
    assert not memory.keep_freed_memory(8, 8, 8)  # already tuned otherwise: says so, changes nothing
    assert len(libc.calls) == 3


def test_without_mallopt_or_when_refused_says_so(fresh, monkeypatch):
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert not memory.keep_freed_memory()
    monkeypatch.setattr(memory, "_libc", lambda: FakeLibc(answer=0))
    assert not memory.keep_freed_memory()
    assert memory._done == {}


def test_on_this_machine_glibc_takes_the_values(fresh):
    libc = memory._libc()
    if libc is None:
        pytest.skip("no glibc mallopt here")
    assert isinstance(libc, ctypes.CDLL)
    assert memory.keep_freed_memory()


def test_the_app_tunes_the_allocator_at_start_up(fresh, monkeypatch, tmp_path):
    from cgs_portal.statistics.views import query as views

    called = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: called.append(1) or True)

    class Event:
        class app:  # noqa: N801
            class registry:  # noqa: N801
                settings = {"cgs.testing": "true"}

    views.on_start(Event)
    assert called == [1]
    Event.app.registry.settings = {"cgs.testing": "true", "cgs.stats_keep_freed_memory": "false"}
    views.on_start(Event)
    assert called == [1]
