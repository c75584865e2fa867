"""The content the back office edits: Q&A, documents, 線上諮詢 threads, the template schedule.

Everything lives in one ``ContentStore`` at ``root.content`` (created by the content evolve
step); each collection is its own BTree keyed by a random id, so two administrators (or
two askers) adding at once touch different buckets. No web code here.
"""
from __future__ import annotations

import datetime as dt
import secrets

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList
from ZODB.blob import Blob

from ..workbook.normalise import PRIVACY_MESSAGE, looks_personal
from .versions import TemplateSchedule

CHUNK = 1 << 16
ID_PATTERN = r"^[0-9a-f]{8}$"


class ContentError(ValueError):
    """A change the content refuses (message in zh-Hant)."""


def _new_key(tree) -> str:
    key = secrets.token_hex(4)
    while key in tree:
        key = secrets.token_hex(4)
    return key


def _normal(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text or "").lower().replace("臺", "台")


# -- Q&A --------------------------------------------------------------------------------------
class FaqCategory(Persistent):
    def __init__(self, title: str, order: int = 0):
        self.id = None
        self.title = title
        self.order = order


class FaqEntry(Persistent):
    def __init__(self, category_id: str, question: str, answer: str, order: int = 0):
        self.id = None
        self.category_id = category_id
        self.question = question
        self.answer = answer
        self.order = order

    def matches(self, words: list[str]) -> bool:
        text = _normal(self.question + " " + self.answer)
        return all(word in text for word in words)


class Faq(Persistent):
    def __init__(self):
        self.categories = OOBTree()
        self.entries = OOBTree()

    def add_category(self, title: str, order: int = 0) -> FaqCategory:
        category = FaqCategory(title, order)
        category.id = _new_key(self.categories)
        self.categories[category.id] = category
        return category

    def add_entry(self, category_id: str, question: str, answer: str, order: int = 0) -> FaqEntry:
        if category_id not in self.categories:
            raise ContentError("請選擇一個存在的分類。")
        entry = FaqEntry(category_id, question, answer, order)
        entry.id = _new_key(self.entries)
        self.entries[entry.id] = entry
        return entry

    def remove_category(self, category_id: str) -> FaqCategory:
        if any(e.category_id == category_id for e in self.entries.values()):
            raise ContentError("此分類仍有問答，請先移除或移到其他分類。")
        return self.categories.pop(category_id)

    def sorted_categories(self) -> list[FaqCategory]:
        return sorted(self.categories.values(), key=lambda c: (c.order, c.title))

    def sections(self, query: str = "") -> list[tuple[FaqCategory, list[FaqEntry]]]:
        """(category, its entries) in order; with ``query``, only entries with every word of it."""
        words = _normal(query).split()
        by_category = {}
        for entry in self.entries.values():
            if not words or entry.matches(words):
                by_category.setdefault(entry.category_id, []).append(entry)
        return [(c, sorted(by_category[c.id], key=lambda e: (e.order, e.question)))
                for c in self.sorted_categories() if by_category.get(c.id)]


# -- 操作文件下載 -------------------------------------------------------------------------------
DOCUMENT_TYPES = {  # extension -> content type; what may be uploaded
    ".pdf": "application/pdf",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".ppt": "application/vnd.ms-powerpoint",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_CATEGORIES = ("操作手冊", "簡報", "表格範本", "公文及其他")


class Document(Persistent):
    def __init__(self, title: str, category: str, version: str, dated_on: dt.date, filename: str,
                 uploaded_at: dt.datetime, uploaded_by: str):
        self.id = None
        self.title = title
        self.category = category
        self.version = version
        self.dated_on = dated_on
        self.filename = filename
        self.uploaded_at = uploaded_at
        self.uploaded_by = uploaded_by
        self.retired_on = None
        self.size = 0
        self.blob = Blob()

    @property
    def content_type(self) -> str:
        return DOCUMENT_TYPES.get(extension_of(self.filename), "application/octet-stream")

    def write_from(self, source, max_bytes: int = DOCUMENT_MAX_BYTES) -> int:
        size = 0
        with self.blob.open("w") as out:
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise ContentError(f"檔案超過 {max_bytes // (1024 * 1024)} MB 上限。")
                out.write(chunk)
        if size == 0:
            raise ContentError("檔案是空的。")
        self.size = size
        return size

    def describe(self) -> str:
        return f"{self.category}；{self.title}；版本 {self.version}；{self.dated_on.isoformat()}；{self.filename}"


def extension_of(filename: str) -> str:
    name = (filename or "").lower()
    return name[name.rfind("."):] if "." in name else ""


class Documents(Persistent):
    def __init__(self):
        self.items = OOBTree()

    def add(self, document: Document) -> Document:
        if extension_of(document.filename) not in DOCUMENT_TYPES:
            allowed = "、".join(sorted(DOCUMENT_TYPES))
            raise ContentError(f"只能上傳這些檔案類型：{allowed}。")
        document.id = _new_key(self.items)
        self.items[document.id] = document
        return document

    def get(self, key):
        return self.items.get(key) if isinstance(key, str) else None

    def listed(self, *, include_retired=False) -> list[Document]:
        return sorted((d for d in self.items.values() if include_retired or d.retired_on is None),
                      key=lambda d: (d.category, -d.dated_on.toordinal(), d.title))

    def by_category(self) -> list[tuple[str, list[Document]]]:
        found = {}
        for document in self.listed():
            found.setdefault(document.category, []).append(document)
        order = {c: i for i, c in enumerate(DOCUMENT_CATEGORIES)}
        return sorted(found.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))


# -- 線上諮詢 ----------------------------------------------------------------------------------
OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
THREAD_STATES = {OPEN: "待回覆", ANSWERED: "已回覆", CLOSED: "已結案"}
SUBJECT_MAX = 100
BODY_MAX = 2000


def refuse_personal(*texts: str) -> None:
    """The workbook engine's privacy rule: no ID-number-, phone- or e-mail-like strings."""
    if any(looks_personal(text or "") for text in texts):
        raise ContentError(f"{PRIVACY_MESSAGE}（例如身分證字號、電話號碼或電子郵件），請刪除後再送出。")


class Message(Persistent):
    def __init__(self, author: str, role: str, body: str, at: dt.datetime):
        self.author = author  # a login, or the anonymous asker's name
        self.role = role  # "asker" or "staff"
        self.body = body
        self.at = at


class Thread(Persistent):
    """A 線上諮詢 question and its answers; the asker is mailed every answer."""

    def __init__(self, subject: str, body: str, *, name: str, email: str, login: str | None,
                 unit_code: str | None, at: dt.datetime):
        refuse_personal(subject, body)
        self.id = None
        self.subject = subject
        self.name = name
        self.email = email
        self.login = login
        self.unit_code = unit_code
        self.opened_at = at
        self.changed_at = at
        self.state = OPEN
        self.messages = PersistentList([Message(login or name, "asker", body, at)])

    @property
    def state_label(self) -> str:
        return THREAD_STATES[self.state]

    def answer(self, body: str, who: str, at: dt.datetime) -> Message:
        return self._add(Message(who, "staff", body, at), ANSWERED, "此諮詢已結案，請先重新開啟再回覆。")

    def follow_up(self, body: str, who: str, at: dt.datetime) -> Message:
        """The asker (a logged-in account) adds to its own open or answered question."""
        return self._add(Message(who, "asker", body, at), OPEN, "此諮詢已結案，如有新問題請另行提問。")

    def _add(self, message: Message, state: str, when_closed: str) -> Message:
        """Append ``message`` (no personal data; a closed thread refuses with ``when_closed``)
        and move the thread to ``state``."""
        if self.state == CLOSED:
            raise ContentError(when_closed)
        refuse_personal(message.body)
        self.messages.append(message)
        self.state, self.changed_at = state, message.at
        return message

    def close(self, at: dt.datetime):
        self.state, self.changed_at = CLOSED, at

    def reopen(self, at: dt.datetime):
        last_staff = any(m.role == "staff" for m in self.messages)
        self.state, self.changed_at = (ANSWERED if last_staff else OPEN), at


class Threads(Persistent):
    def __init__(self):
        self.items = OOBTree()

    def add(self, thread: Thread) -> Thread:
        thread.id = _new_key(self.items)
        self.items[thread.id] = thread
        return thread

    def get(self, key):
        return self.items.get(key) if isinstance(key, str) else None

    def in_state(self, state: str, limit: int = 200) -> list[Thread]:
        found = [t for t in self.items.values() if t.state == state]
        return sorted(found, key=lambda t: t.changed_at, reverse=True)[:limit]

    def counts(self) -> dict:
        counts = dict.fromkeys(THREAD_STATES, 0)
        for thread in self.items.values():
            counts[thread.state] += 1
        return counts

    def of_login(self, login: str, limit: int = 50) -> list[Thread]:
        found = [t for t in self.items.values() if t.login == login]
        return sorted(found, key=lambda t: t.changed_at, reverse=True)[:limit]


class ContentStore(Persistent):
    def __init__(self):
        self.faq = Faq()
        self.documents = Documents()
        self.threads = Threads()
        self.schedule = TemplateSchedule()


def content_store(root) -> ContentStore:
    return root.content  # created by the content evolve step
