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

from pyramid_mailer import mailer_factory_from_settings
from pyramid_mailer.interfaces import IMailer
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message

DEFAULT_SENDER = "cgs-portal@localhost"


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


def send_mail(request, to: str | list[str], subject: str, body: str) -> Message:
    """Send a plain-text message; it leaves only if the transaction commits."""
    settings = request.registry.settings
    message = Message(
        subject=subject,
        sender=settings.get("mail.default_sender", DEFAULT_SENDER),
        recipients=[to] if isinstance(to, str) else list(to),
        body=body,
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
