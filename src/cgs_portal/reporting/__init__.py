"""工作填報: the monthly filing workflow, its service and its pages."""

TEMPLATE_DOCUMENTS = (
    ("113", "blank", "113學年度 填報表格（空白，學校）"),
    ("113", "example", "113學年度 填報範例（學校）"),
    ("113", "guide", "113學年度 填報表格說明（學校）"),
    ("B113", "blank", "113學年度 填報表格（空白，輔諮中心）"),
    ("111", "blank", "111學年度 填報表格（空白，學校）"),
)


def template_view_name(version_id: str, kind: str) -> str:
    return f"template-{version_id}-{kind}.xlsx"


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("cgs.amendment_days", "14")
    for version_id, kind, label in TEMPLATE_DOCUMENTS:
        config.add_document_link(label, template_view_name(version_id, kind),
                                 "工作填報的上傳格式（請以空白表格填寫，勿上傳填報範例）")
    config.include(".evolve")
    config.add_role_menu_item("admin", "amendments", "申請修改審核")
    from .views import add_template_views

    add_template_views(config)
    config.scan(".views")
