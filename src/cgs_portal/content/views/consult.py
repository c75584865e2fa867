"""線上諮詢: asking (a unit, or anyone with the captcha), and the desk where staff answer."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from ...accounts.captcha import check_code
from ...accounts.forms import rate_limit
from ...contacts import CONTACTS
from ...resources import PortalRoot
from ...security import Perm
from .. import actions
from ..models import THREAD_STATES, ContentError
from ..schemas import (
    AnonymousQuestionSchema,
    AnswerSchema,
    MemberQuestionSchema,
    StateQuery,
    read,
)
from . import back, by_id, make_form, process, state_change, store

ASK_LIMIT, ASK_PER_IP = 5, 10  # questions per address or e-mail per 15 minutes


def _ask(request, data):
    """Open the thread, or say why not: too many questions, a wrong captcha, personal data."""
    email = data.get("email") or getattr(request.identity, "email", "")
    locked = rate_limit(request, "consult", (email,), limit=ASK_LIMIT, per_ip=ASK_PER_IP)
    if locked:
        return locked
    if request.identity is None and not check_code(request, data["captcha"]):
        return "驗證碼錯誤，請重新輸入圖片中的數字。"
    try:
        actions.open_thread(request, data)
    except ContentError as exc:
        return str(exc)
    return back(request, "contact", "已送出您的問題，回覆後將以 Email 通知您。")


@view_config(context=PortalRoot, name="contact", renderer="cgs_portal:templates/site/contact.pt",
             permission=Perm.SITE_VIEW)
def contact(request):
    schema = MemberQuestionSchema() if request.identity is not None else AnonymousQuestionSchema()
    form = make_form(request, schema, "送出問題", "consult-form")
    response, values = process(request, form, lambda data: _ask(request, data))
    if response is not None:
        return response
    mine = store(request).threads.of_login(request.identity.login) if request.identity is not None else []
    return {**values, "page_title": "線上諮詢", "contacts": CONTACTS, "mine": mine}


def _thread_page(request, thread, form, act, *, desk, then):
    """The page of ``thread`` with its ``form``: a valid post calls ``act(request, thread, body)``
    (a refusal is shown on the form), then answers ``then()``."""

    def success(data):
        try:
            act(request, thread, data["body"])
        except ContentError as exc:
            return str(exc)
        return then()

    response, values = process(request, form, success)
    return response or {**values, "page_title": "線上諮詢：" + thread.subject, "thread": thread, "desk": desk}


@view_config(context=PortalRoot, name="consult-thread", renderer="cgs_portal:templates/content/thread.pt",
             permission=Perm.MEMBER)
def my_thread(request):
    thread = by_id(request, store(request).threads)
    if thread.login != request.identity.login:
        raise HTTPNotFound()  # another asker's question looks like none
    form = make_form(request, AnswerSchema(), "送出補充說明", "follow-up-form")
    return _thread_page(request, thread, form, actions.follow_up_thread, desk=False,
                        then=lambda: back(request, "consult-thread", "已送出補充說明。", id=thread.id))


@view_config(context=PortalRoot, name="consult-desk", renderer="cgs_portal:templates/content/desk.pt",
             permission=Perm.CONSULT_ANSWER)
def desk(request):
    state = read(StateQuery(), request.params)["state"] or "open"
    threads = store(request).threads
    return {"page_title": "線上諮詢回覆", "state": state, "states": THREAD_STATES,
            "threads": threads.in_state(state), "counts": threads.counts()}


@view_config(context=PortalRoot, name="consult-desk-thread", renderer="cgs_portal:templates/content/thread.pt",
             permission=Perm.CONSULT_ANSWER)
def desk_thread(request):
    thread = by_id(request, store(request).threads)
    form = make_form(request, AnswerSchema(), "送出回覆並通知提問者", "answer-form")
    return _thread_page(request, thread, form, actions.answer_thread, desk=True,
                        then=lambda: back(request, "consult-desk", "已回覆並寄信通知提問者。"))


@view_config(context=PortalRoot, name="consult-desk-state", request_method="POST",
             permission=Perm.CONSULT_ANSWER)
def desk_state(request):
    return state_change(request, store(request).threads, "consult-desk", ("close", "reopen"),
                        actions.set_thread_state,
                        missing="找不到這則諮詢，請重新整理頁面後再試。", done=("已結案。", "已重新開啟。"))
