"""The content concern's evolve steps."""
from __future__ import annotations

CONCERN = "content"


def step_1_announcement_board(root, registry):
    """The login page's announcements move from a plain list into a scheduled board."""
    from ..site.announcements import Board

    if isinstance(root.announcements, Board):
        return
    board = Board()
    for order, announcement in enumerate(root.announcements):
        announcement.order = order
        board.append(announcement)
    root.announcements = board


def step_2_content_store(root, registry):
    """Q&A (seeded with the questions the code used to list), documents, threads, schedule."""
    from .models import ContentStore
    from .seed import CATEGORIES, FAQ, FAQ_CATEGORY

    if getattr(root, "content", None) is not None:
        return
    store = root.content = ContentStore()
    categories = [store.faq.add_category(title, order) for order, title in enumerate(CATEGORIES)]
    for order, ((question, answer), index) in enumerate(zip(FAQ, FAQ_CATEGORY, strict=True)):
        store.faq.add_entry(categories[index].id, question, answer, order)


def includeme(config):
    config.add_evolution_step(CONCERN, 1, "scheduled announcement board", step_1_announcement_board)
    config.add_evolution_step(CONCERN, 2, "Q&A, documents, 線上諮詢, template schedule",
                              step_2_content_store)
