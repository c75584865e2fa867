"""Who runs the portal and how to reach them: the one home of these facts.

``accounts``, ``reporting``, ``site`` and the mail footer read them from here, so a
changed phone number is changed once.
"""
from __future__ import annotations

SITE_NAME = "高級中等以下學校輔導工作成果填報系統"

# 承辦學校: questions about the Excel workbook and its items.
OFFICE = {
    "title": "承辦單位（Excel 報表細項詢問）",
    "name": "國立彰化高級中學",
    "phone": "04-7222121 分機 35207 或 35205",
    "email": "rd@chsh.chc.edu.tw",
}
# 客服: the system's developer runs the helpdesk (accounts, resets, system questions).
HELPDESK = {
    "title": "系統開發單位（系統相關詢問）",
    "name": "國立暨南國際大學資訊工程學系",
    "phone": "049-2910960 分機 3765、3971、3785",
    "email": "cgsbvc@mail.ncnu.edu.tw",
}
HELPDESK_PHONE = "049-2910960#3765、3971、3785"  # the short form the account pages print
HELPDESK_EMAIL = HELPDESK["email"]

CONTACTS = {"office": OFFICE, "helpdesk": HELPDESK}
