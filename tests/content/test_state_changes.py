"""The back office's state changes over HTTP (下架/重新上架 of announcements and documents,
結案/重新開啟 of 線上諮詢): both actions, an unknown item and an unknown action."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from cgs_portal.content.models import Document, Thread, content_store
from cgs_portal.site.announcements import Announcement
from support import TAIPEI, login

AT = dt.datetime(2024, 10, 1, 9, tzinfo=TAIPEI)


def add_announcement(root):
    return root.announcements.append(Announcement("十月系統維護"))


def add_document(root):
    document = Document("操作手冊", "操作手冊", "v1", dt.date(2024, 8, 1), "manual.pdf", AT, "admin")
    document.write_from(io.BytesIO(b"%PDF-1.4"))
    return content_store(root).documents.add(document)


def add_thread(root):
    thread = Thread("表格下載", "表格在哪裡？", name="陳老師", email="a@example.invalid", login=None,
                    unit_code=None, at=AT)
    return content_store(root).threads.add(thread)


def retired(item):
    return item.retired_on is not None


def closed(item):
    return item.state == "closed"


# path, the page it returns to, (first, second) action, the messages, how to add one, its state
CHANGES = {
    "announcement": ("/content-announcement-state", "/content-announcements", ("retire", "restore"),
                     ("已下架公告。", "已重新上架公告。", "找不到這則公告"), add_announcement,
                     lambda root, key: root.announcements.get(key), retired),
    "document": ("/content-document-state", "/content-documents", ("retire", "restore"),
                 ("已下架文件。", "已重新上架文件。", "找不到這份文件"), add_document,
                 lambda root, key: content_store(root).documents.get(key), retired),
    "thread": ("/consult-desk-state", "/consult-desk", ("close", "reopen"),
               ("已結案。", "已重新開啟。", "找不到這則諮詢"), add_thread,
               lambda root, key: content_store(root).threads.get(key), closed),
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_a_state_change_goes_both_ways_and_refuses_what_it_does_not_know(testapp, world, portal, kind):
    path, page, (first, second), (done, undone, missing), add, get, changed = CHANGES[kind]
    with portal() as root:
        key = add(root).id
    login(testapp, world["admin"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get(page).text).group(1)

    def post(key, action):
        response = testapp.post(path, {"csrf_token": token, "id": key, "action": action}, status=302)
        assert response.headers["Location"].split("?")[0].endswith(page)
        return response.follow().text

    assert done in post(key, first)
    with portal() as root:
        assert changed(get(root, key))
    assert undone in post(key, second)
    with portal() as root:
        assert not changed(get(root, key))
    assert missing in post("00000000", first)
    assert missing in post(key, "delete")
    with portal() as root:
        assert not changed(get(root, key))  # an unknown action changes nothing
