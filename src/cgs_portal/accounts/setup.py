"""First national administrator in production: a one-time setup link, no default password."""
from __future__ import annotations


def ensure_first_admin(root, registry, settings) -> list[str]:
    accounts = root["accounts"]
    if any(a.role == "admin" for a in accounts.values()):
        return ["cgs-init: a national administrator exists"]
    return [
        "cgs-init: no national administrator exists yet; the one-time setup link "
        "is issued by the accounts concern (see docs/accounts.md)."
    ]
