"""The site's evolve steps."""
from __future__ import annotations


def step_1_announcements(root, registry):
    """Seed the login page's announcement box with the guide's standing reminder."""
    from .announcements import Announcement

    if not root.announcements:
        root.announcements.append(
            Announcement(
                "【國教署業務宣導】請各單位按時填報（每月 1–10 日），若逾時未完成填報的學校"
                "（輔諮中心）將由主管機關函文催報，煩請各單位務必留意！"
            )
        )


def includeme(config):
    config.add_evolution_step("site", 1, "seed announcements", step_1_announcements)
