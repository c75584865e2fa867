"""Outgoing mail through pyramid_mailer, joined to the request's transaction.

Development (``mail.debug_dir``) writes each message as an ``.eml`` file when
the transaction commits — the development outbox page lists them. Production
puts messages in a ``repoze.sendmail`` maildir queue (``mail.queue_path``)
that the ``qp`` console script delivers by SMTP. A retried or rolled-back
request sends nothing.
"""
from __future__ import annotations

import email
import email.policy
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from pyramid_mailer import mailer_factory_from_settings
from pyramid_mailer.interfaces import IMailer
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Attachment, Message

from . import contacts

DEFAULT_SENDER = "cgs-portal@localhost"
SUBJECT_PREFIX = f"【{contacts.SITE_NAME}】"  # every mail of the portal, whichever concern sends it
FOOTER = "cgs_portal:templates/mail/footer.txt"


class DirectoryMailer:
    """An SMTP stand-in for repoze.sendmail: writes messages to a directory."""

    def __init__(self, directory: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, fromaddr, toaddrs, message):
        name = f"{time.time_ns()}_{secrets.token_hex(4)}.eml"
        tmp = self.directory / (name + ".tmp")
        tmp.write_bytes(message.as_bytes() if hasattr(message, "as_bytes") else bytes(message))
        os.replace(tmp, self.directory / name)


def includeme(config):
    settings = config.get_settings()
    debug_dir = settings.get("mail.debug_dir")
    if debug_dir:
        mailer = Mailer(
            smtp_mailer=DirectoryMailer(debug_dir),
            default_sender=settings.get("mail.default_sender", DEFAULT_SENDER),
        )
    else:
        mailer = mailer_factory_from_settings(settings)
    config.registry.registerUtility(mailer, IMailer)
    from pyramid_mailer import get_mailer

    config.add_request_method(get_mailer, "mailer", reify=True)


# The base of mailed links outside production when cgs.public_url is not set (production
# refuses to start without it). Never the request's Host: a client chooses that header.
DEVELOPMENT_URL = "http://localhost:6543"


def public_url(settings) -> str:
    """The portal's address for mails and redirects: ``cgs.public_url`` (never the request's)."""
    base = (settings or {}).get("cgs.public_url")
    return base.rstrip("/") if base else DEVELOPMENT_URL


def portal_link(request, name: str, **query) -> str:
    """An absolute link to the view ``name`` of the portal root, for a mail."""
    url = f"{public_url(request.registry.settings)}/{name}"
    return url + ("?" + urlencode(query) if query else "")


def render_text(template: str, values: dict, request) -> str:
    """A Chameleon text template (``.txt``: no HTML escaping, links stay intact) as a str."""
    from pyramid.renderers import render

    text = render(template, values, request=request)
    return text.decode("utf-8") if isinstance(text, bytes) else text


def footer(request) -> str:
    """Who sent the mail, the portal's address and the helpdesk (the end of every mail)."""
    return render_text(FOOTER, {"site_name": contacts.SITE_NAME, "portal_url": public_url(
        request.registry.settings) + "/", "helpdesk": contacts.HELPDESK,
        "helpdesk_phone": contacts.HELPDESK_PHONE}, request)


def send_mail(request, to: str | list[str], subject: str, body: str, attachments=()) -> Message:
    """Send a plain-text message; it leaves only if the transaction commits.

    Every mail gets the portal's subject prefix and footer here, so no sender repeats them.
    ``attachments``: (filename, content type, bytes) triples.
    """
    settings = request.registry.settings
    message = Message(
        subject=SUBJECT_PREFIX + subject,
        sender=settings.get("mail.default_sender", DEFAULT_SENDER),
        recipients=[to] if isinstance(to, str) else list(to),
        body=body.rstrip("\n") + "\n\n" + footer(request),
        attachments=[Attachment(name, kind, data) for name, kind, data in attachments],
    )
    if settings.get("mail.queue_path") and not settings.get("mail.debug_dir"):
        request.mailer.send_to_queue(message)
    else:
        request.mailer.send(message)
    return message


def read_outbox(directory: str) -> list[dict]:
    """Messages written by the DirectoryMailer, newest first (development outbox, tests)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    messages = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        messages.append(
            {
                "id": path.stem,
                "to": parsed.get("To", ""),
                "subject": parsed.get("Subject", ""),
                "date": parsed.get("Date", ""),
                "body": body.get_content() if body is not None else "",
            }
        )
    return messages
