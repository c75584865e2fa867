"""The back office's content changes: each applies one change, audits it and (for 線上諮詢) mails.

Views call one of these with values their schema has parsed; the rules themselves are
methods of the models (``Announcement.update``, ``Thread.answer`` …).
"""
from __future__ import annotations

from ..accounts import audit
from ..calendar import semester_label
from ..mail import portal_link, render_text, send_mail
from ..resources.root import get_app_root
from ..site.announcements import Announcement
from .models import Document, Thread, content_store


def who(request) -> str:
    account = request.identity
    return account.login if account is not None else ""


def store(request):
    return content_store(get_app_root(request))


# -- announcements -------------------------------------------------------------------------
def add_announcement(request, data) -> Announcement:
    announcement = Announcement(data["text"].strip(), important=data["important"],
                                published_on=request.clock.today(), starts_on=data["starts_on"],
                                ends_on=data["ends_on"], order=data["order"])
    get_app_root(request).announcements.append(announcement)
    announcement.changed_at, announcement.changed_by = request.clock.now(), who(request)
    audit.record(request, "content.announcement", who(request), "新增：" + announcement.describe())
    return announcement


def edit_announcement(request, announcement, data) -> None:
    before = announcement.describe()
    announcement.update(text=data["text"].strip(), important=data["important"], starts_on=data["starts_on"],
                        ends_on=data["ends_on"], order=data["order"], who=who(request), now=request.clock.now())
    audit.record(request, "content.announcement", who(request),
                 f"修改 {announcement.id}：{before} → {announcement.describe()}")


def retire_announcement(request, announcement, retire: bool) -> None:
    if retire:
        announcement.retire(request.clock.today(), who(request), request.clock.now())
    else:
        announcement.restore(who(request), request.clock.now())
    audit.record(request, "content.announcement", who(request),
                 f"{'下架' if retire else '重新上架'} {announcement.id}：{announcement.describe()}")


# -- Q&A -------------------------------------------------------------------------------------
def save_category(request, category, data):
    faq = store(request).faq
    if category is None:
        category = faq.add_category(data["title"].strip(), data["order"])
        detail = f"新增分類：{category.title}"
    else:
        detail = f"修改分類 {category.id}：{category.title}（{category.order}）→ {data['title'].strip()}（{data['order']}）"
        category.title, category.order = data["title"].strip(), data["order"]
    audit.record(request, "content.faq", who(request), detail)
    return category


def save_entry(request, entry, data):
    faq = store(request).faq
    question, answer = data["question"].strip(), data["answer"].strip()
    if entry is None:
        entry = faq.add_entry(data["category_id"], question, answer, data["order"])
        detail = f"新增問答：{question[:80]}"
    else:
        detail = f"修改問答 {entry.id}：{entry.question[:60]} → {question[:60]}；回答 {len(entry.answer)} → {len(answer)} 字"
        entry.category_id, entry.question, entry.answer, entry.order = (
            data["category_id"], question, answer, data["order"])
    audit.record(request, "content.faq", who(request), detail)
    return entry


def delete_faq(request, kind: str, key: str) -> None:
    faq = store(request).faq
    if kind == "category":
        removed = faq.remove_category(key)
        detail = f"刪除分類：{removed.title}"
    else:
        removed = faq.entries.pop(key)
        detail = f"刪除問答：{removed.question[:80]}"
    audit.record(request, "content.faq", who(request), detail)


# -- documents ------------------------------------------------------------------------------
def add_document(request, data, upload) -> Document:
    filename = (getattr(upload, "filename", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:120]
    document = Document(data["title"].strip(), data["category"], data["version"].strip(), data["dated_on"],
                        filename, request.clock.now(), who(request))
    store(request).documents.add(document)  # refuses a file type first, before reading the file
    document.write_from(upload.file)
    audit.record(request, "content.document", who(request), "上傳：" + document.describe())
    return document


def retire_document(request, document, retire: bool) -> None:
    document.retired_on = request.clock.today() if retire else None
    audit.record(request, "content.document", who(request),
                 f"{'下架' if retire else '重新上架'}：{document.describe()}")


# -- template schedule ---------------------------------------------------------------------
def set_template_start(request, version_id: str, academic_year: int, term: int) -> None:
    before = store(request).schedule.set_start(version_id, academic_year, term)
    audit.record(request, "content.templates", who(request),
                 f"範本 {version_id} 適用起點：{semester_label(*before)} → {semester_label(academic_year, term)}")


def reset_template_start(request, version_id: str) -> None:
    schedule = store(request).schedule
    before = schedule.reset(version_id)
    audit.record(request, "content.templates", who(request),
                 f"範本 {version_id} 適用起點：{semester_label(*before)} → 預設 {semester_label(*schedule.start_of(version_id))}")


# -- 線上諮詢 -----------------------------------------------------------------------------------
def open_thread(request, data) -> Thread:
    account = request.identity
    if account is not None:
        name, email, login = account.name or account.login, account.email, account.login
    else:
        name, email, login = data["name"].strip(), data["email"].strip(), None
    thread = Thread(data["subject"].strip(), data["body"].strip(), name=name, email=email, login=login,
                    unit_code=getattr(account, "unit_code", None), at=request.clock.now())
    store(request).threads.add(thread)
    audit.record(request, "consult.open", login or "", f"{thread.id}：{thread.subject[:80]}")
    if email:
        _mail(request, thread, "received.txt", f"已收到您的線上諮詢：{thread.subject[:40]}")
    return thread


def answer_thread(request, thread, body: str) -> None:
    message = thread.answer(body.strip(), who(request), request.clock.now())
    audit.record(request, "consult.answer", who(request), f"{thread.id}：{thread.subject[:80]}")
    if thread.email:
        _mail(request, thread, "answered.txt", f"線上諮詢已回覆：{thread.subject[:40]}", answer=message.body)


def follow_up_thread(request, thread, body: str) -> None:
    thread.follow_up(body.strip(), who(request), request.clock.now())
    audit.record(request, "consult.open", who(request), f"補充 {thread.id}：{thread.subject[:80]}")


def set_thread_state(request, thread, close: bool) -> None:
    (thread.close if close else thread.reopen)(request.clock.now())
    audit.record(request, "consult.close" if close else "consult.reopen", who(request),
                 f"{thread.id}：{thread.subject[:80]}")


def _mail(request, thread, template, subject, **values):
    body = render_text(f"cgs_portal:templates/content/mail/{template}",
                       {"thread": thread, "link": portal_link(request, "contact"), **values}, request)
    send_mail(request, thread.email, subject, body)
