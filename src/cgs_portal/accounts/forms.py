"""The small glue every account form view shares (validate, render, rate-limit)."""
from __future__ import annotations

import datetime as dt

import deform

from ..forms import field_errors
from ..resources.root import get_app_root
from . import throttle


def make_form(request, schema, button_title, formid, **bindings):
    bound = schema.bind(request=request, **bindings)
    return deform.Form(bound, buttons=(deform.Button("submit", button_title),), formid=formid,
                       action=request.path_qs)


def process(request, form, on_success, *, appstruct=None):
    """Run ``on_success(appstruct)`` on a valid POST; returns (response, page values).

    ``on_success`` returns a response (redirect) or a message for the top of the form.
    """
    values = {"errors": [], "form": None}
    if request.method == "POST" and "submit" in request.POST:
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            values["errors"] = field_errors(failure.field)
            values["form"] = failure.render()
            return None, values
        outcome = on_success(data)
        if outcome is not None and not isinstance(outcome, str):
            return outcome, values
        if outcome:
            values["errors"] = [outcome]
            values["form"] = form.render(data)
            return None, values
    values["form"] = form.render(appstruct or {})
    return None, values


def rate_limit(request, kind: str, targets=(), *, limit=5, per_ip=20,
               window=dt.timedelta(minutes=15), lock_for=dt.timedelta(minutes=15)) -> str | None:
    """Count one attempt of ``kind`` by this address and for each target; a message when locked.

    Attempts (not only failures) are counted, so a form that always answers the
    same way still cannot be used to flood someone's mailbox.
    """
    root = get_app_root(request)
    now = request.clock.now()
    ip_key = [throttle.bounded_key(f"{kind}-ip", throttle.client_address(request))]
    target_keys = [throttle.bounded_key(kind, t) for t in targets if t]
    until = throttle.locked_until(root, ip_key + target_keys, now)
    if until is not None:
        return f"操作過於頻繁，已暫停受理，請於 {until:%H:%M} 後再試。"
    throttle.record_failure(root, ip_key, now, limit=per_ip, window=window, lock_for=lock_for)
    if target_keys:
        throttle.record_failure(root, target_keys, now, limit=limit, window=window, lock_for=lock_for)
    return None
