"""The content rules without the web: announcement windows, Q&A search, the privacy rule,
the template schedule."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.content.models import ContentError, Faq, Thread, refuse_personal
from cgs_portal.content.versions import ScheduleError, TemplateSchedule, version_for
from cgs_portal.site.announcements import ENDED, RETIRED, SCHEDULED, SHOWN, Announcement, Board
from cgs_portal.workbook.normalise import PRIVACY_MESSAGE

NOW = dt.datetime(2024, 10, 3, 9, 0)


def test_an_announcement_is_public_only_in_its_window_both_days_included():
    a = Announcement("x", starts_on=dt.date(2024, 10, 1), ends_on=dt.date(2024, 10, 10))
    assert a.status_on(dt.date(2024, 9, 30)) == SCHEDULED
    assert a.status_on(dt.date(2024, 10, 1)) == SHOWN
    assert a.status_on(dt.date(2024, 10, 10)) == SHOWN
    assert a.status_on(dt.date(2024, 10, 11)) == ENDED
    a.retire(dt.date(2024, 10, 5), "admin1", NOW)
    assert a.status_on(dt.date(2024, 10, 5)) == RETIRED and not a.is_shown_on(dt.date(2024, 10, 5))
    a.restore("admin1", NOW)
    assert a.is_shown_on(dt.date(2024, 10, 5))


def test_an_open_window_and_old_announcements_are_always_shown():
    old = Announcement.__new__(Announcement)  # as stored before scheduling existed
    old.text, old.important = "舊公告", True
    assert old.is_shown_on(dt.date(2030, 1, 1))


def test_an_end_before_the_start_is_refused():
    a = Announcement("x")
    with pytest.raises(ValueError):
        a.update(text="x", important=False, starts_on=dt.date(2024, 10, 2), ends_on=dt.date(2024, 10, 1),
                 order=0, who="a", now=NOW)


def test_the_board_orders_by_order_then_start():
    board = Board()
    late = board.append(Announcement("late", order=2))
    first = board.append(Announcement("first", order=1, starts_on=dt.date(2024, 9, 1)))
    earlier = board.append(Announcement("earlier", order=1))
    assert [a.text for a in board] == ["earlier", "first", "late"]
    assert board.get(late.id) is late and board.get(None) is None
    late.retire(dt.date(2024, 10, 1), "a", NOW)
    assert board.public(dt.date(2024, 10, 1)) == [earlier, first]


def test_faq_search_needs_every_word_and_treats_tai_alike():
    faq = Faq()
    c = faq.add_category("帳號", 0)
    faq.add_entry(c.id, "忘記密碼怎麼辦？", "請使用忘記密碼功能。", 0)
    faq.add_entry(c.id, "臺北市的帳號", "同上", 1)
    assert [e.question for _c, es in faq.sections("密碼") for e in es] == ["忘記密碼怎麼辦？"]
    assert [e.question for _c, es in faq.sections("台北 帳號") for e in es] == ["臺北市的帳號"]
    assert faq.sections("密碼 台北") == []
    with pytest.raises(ContentError):
        faq.remove_category(c.id)
    with pytest.raises(ContentError):
        faq.add_entry("nosuchid", "q", "a")


@pytest.mark.parametrize("text", ["學生 A123456789 的狀況", "請回電 0912-345-678", "家長電話 02-2345-6789",
                                  "寄到 someone@example.com"])
def test_personal_data_is_refused_with_the_engines_message(text):
    with pytest.raises(ContentError) as refused:
        refuse_personal(text)
    assert PRIVACY_MESSAGE in str(refused.value)
    with pytest.raises(ContentError):
        Thread("主旨", text, name="n", email="e@example.invalid", login=None, unit_code=None, at=NOW)


def test_ordinary_questions_pass_the_privacy_rule():
    refuse_personal("113 學年度 9 月的表格要用哪一版？代碼 013601 上傳失敗")


def test_thread_states():
    t = Thread("主旨", "內容", name="n", email="e@example.invalid", login="u", unit_code="013601", at=NOW)
    assert t.state == "open"
    t.answer("回覆", "helpdesk1", NOW)
    assert t.state == "answered"
    t.follow_up("再問", "u", NOW)
    assert t.state == "open"
    t.close(NOW)
    with pytest.raises(ContentError):
        t.answer("x", "helpdesk1", NOW)
    t.reopen(NOW)
    assert t.state == "answered"


def test_the_code_default_schedule_is_the_workbook_schema():
    schedule = TemplateSchedule()
    assert schedule.version_for("A", 2024, 9).id == "113"
    assert schedule.version_for("A", 2024, 7).id == "111"
    assert schedule.version_for("B", 2024, 9).id == "B113"
    assert schedule.version_for("A", 2010, 9).id == "111"  # before every version: the oldest
    assert version_for(None, "A", 2024, 9).id == "113"


def test_a_version_can_start_later_or_from_the_second_semester():
    schedule = TemplateSchedule()
    assert schedule.set_start("113", 113, 2) == (113, 1)
    assert schedule.version_for("A", 2024, 9).id == "111"   # 113 上學期: still 111
    assert schedule.version_for("A", 2025, 1).id == "111"   # January is 上學期
    assert schedule.version_for("A", 2025, 2).id == "113"   # 下學期
    assert schedule.version_for("B", 2024, 9).id == "B113"  # the other family is untouched
    assert schedule.reset("113") == (113, 2)
    assert schedule.version_for("A", 2024, 9).id == "113"


def test_a_version_cannot_be_in_force_before_it_was_published():
    schedule = TemplateSchedule()
    with pytest.raises(ScheduleError, match="113 學年度才公布"):
        schedule.set_start("113", 112, 2)
    with pytest.raises(ScheduleError):
        schedule.set_start("999", 113, 1)
    with pytest.raises(ScheduleError):
        schedule.set_start("113", 113, 3)
    assert not schedule.is_overridden("113")


def test_the_evolve_step_moves_an_old_list_into_the_board_in_order():
    from types import SimpleNamespace

    from persistent.list import PersistentList

    from cgs_portal.content.evolve import step_1_announcement_board, step_2_content_store

    root = SimpleNamespace(announcements=PersistentList([Announcement("一"), Announcement("二")]))
    step_1_announcement_board(root, None)
    assert isinstance(root.announcements, Board)
    assert [a.text for a in root.announcements] == ["一", "二"]
    step_1_announcement_board(root, None)  # idempotent
    assert len(root.announcements) == 2
    step_2_content_store(root, None)
    sections = root.content.faq.sections()
    assert [c.title for c, _entries in sections] == ["填報作業", "帳號與密碼"]
    assert sum(len(entries) for _c, entries in sections) == 8
