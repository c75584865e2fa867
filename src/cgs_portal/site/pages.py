"""Public information pages (操作文件下載, Q&A, 線上諮詢) and honest 'coming' pages."""
from __future__ import annotations

from pyramid.view import view_config

from ..accounts import passwords
from ..contacts import CONTACTS
from ..resources import PortalRoot
from ..security import Perm

FAQ = [
    (
        "每月什麼時候要填報？",
        "每月 1–10 日填報上個月的輔導工作成果；若需提前填報，當月 11 日起即可填報當月資料。"
        "逾期未完成者請至「工作填報 → 逾期補填」補填，並將由主管機關函文催報。",
    ),
    (
        "完全中學或國中小要申請幾個帳號？",
        "一學制一帳號：國中、國小、高中職各自一組帳號，禁止共用。",
    ),
    (
        "第一次使用要怎麼開始？",
        "請至「登入相關 → 新建帳號」註冊，系統會寄出開通帳號的電子郵件至您註冊的 Email，"
        "點擊信中的開通連結後才可登入系統。",
    ),
    (
        "忘記密碼怎麼辦？",
        "請使用「忘記密碼」功能，輸入帳號、註冊信箱及新密碼；送出後請至註冊信箱點選確認連結，新密碼才會生效。"
        "若註冊信箱已無法使用，請致電系統客服申請帳號重置。",
    ),
    (
        "承辦人更換了，可以沿用前一位承辦人的帳號嗎？",
        "不可以。帳號及密碼禁止共用或沿用，請聯繫系統客服申請「帳號重置」，再以新的個人帳號重新註冊。",
    ),
    (
        "密碼有什麼規則？",
        f"長度 {passwords.MIN_LENGTH}–{passwords.MAX_LENGTH} 碼半形字元，至少包含 1 個大寫英文字母、"
        "1 個小寫英文字母及 1 個數字；不可包含學校代碼、個人帳號或身分證字號，不可使用常見密碼，"
        f"也不可與最近 {passwords.HISTORY} 次的密碼相同。",
    ),
    (
        "上傳後出現黃色、紅色的格子是什麼意思？",
        "黃底為必填欄位未填寫，紅底為欄位資料有誤。請下載標示後的檔案，依儲存格註解修正後重新上傳。"
        "沒有個案或服務的欄位請填 0，不可空白。",
    ),
    (
        "已經填報的月份要修改怎麼辦？",
        "當學期（上學期 8–1 月、下學期 2–7 月）的月份可於「工作填報 → 申請修改」提出申請，"
        "核准後至「逾期補填」重新上傳；非當學期月份請致電承辦學校。",
    ),
]


@view_config(
    context=PortalRoot,
    name="faq",
    renderer="cgs_portal:templates/site/faq.pt",
    permission=Perm.SITE_VIEW,
)
def faq(request):
    return {"page_title": "Q&A 常見問題", "faq": FAQ}


@view_config(
    context=PortalRoot,
    name="contact",
    renderer="cgs_portal:templates/site/contact.pt",
    permission=Perm.SITE_VIEW,
)
def contact(request):
    return {"page_title": "線上諮詢", "contacts": CONTACTS}


@view_config(
    context=PortalRoot,
    name="documents",
    renderer="cgs_portal:templates/site/documents.pt",
    permission=Perm.SITE_VIEW,
)
def documents(request):
    return {"page_title": "操作文件下載", "documents": document_links(request)}


def add_document_link(config, label: str, name: str, description: str = ""):
    """Config directive: list a download (a view name on the root) on 操作文件下載."""
    config.registry.__dict__.setdefault("cgs_document_links", []).append((label, name, description))


def document_links(request):
    links = request.registry.__dict__.get("cgs_document_links", [])
    return [
        (label, request.resource_url(request.root, name), description)
        for label, name, description in links
    ]


# Pages of the guides' menus whose feature is not built yet: (name, title, permission, what).
COMING: dict[str, tuple[str, str, str]] = {
    "helper": ("填報幫手", Perm.MEMBER, "填報檔案的預先檢查工具"),
}


def coming_view(title, what):
    def view(request):
        return {"page_title": title, "what": what}

    return view


def includeme(config):
    from .layout import add_layout_banner, add_role_menu_item

    config.add_directive("add_role_menu_item", add_role_menu_item)
    config.add_directive("add_layout_banner", add_layout_banner)
    config.add_directive("add_document_link", add_document_link)
    for name, (title, permission, what) in COMING.items():
        config.add_view(
            coming_view(title, what),
            context=PortalRoot,
            name=name,
            renderer="cgs_portal:templates/site/coming.pt",
            permission=permission,
        )
