"""The development-only outbox page (registered only when ``mail.debug_dir`` is set)."""
from __future__ import annotations

import re

from ..mail import read_outbox

URL = re.compile(r"(https?://[^\s<>\"]+)")


def segments(body: str) -> list[list[tuple[str, bool]]]:
    """The body as lines of (text, is_link) pieces, so links can be clicked."""
    lines = []
    for line in body.splitlines():
        parts = URL.split(line)
        lines.append([(part, index % 2 == 1) for index, part in enumerate(parts) if part])
    return lines


def dev_outbox(request):
    messages = read_outbox(request.registry.settings["mail.debug_dir"])[:100]
    for message in messages:
        message["segments"] = segments(message["body"])
    return {"page_title": "開發用寄件匣", "messages": messages}


def includeme(config):
    if config.get_settings().get("mail.debug_dir"):
        config.add_view(
            dev_outbox, context="cgs_portal.resources.PortalRoot", name="dev-outbox",
            renderer="cgs_portal:templates/accounts/outbox.pt", permission="site.view",
        )
