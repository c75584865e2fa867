"""The filing pages' schemas: what a bad value reads as."""
from __future__ import annotations

import colander
import pytest

from cgs_portal.reporting.schemas import AmendmentRequest, ConfirmPost, NoCasesPost, read


def test_read_turns_bad_values_into_none():
    assert read(ConfirmPost(), {"m": "2024-09", "serial": "3", "upload": "2"}) == {
        "m": (2024, 9), "serial": 3, "upload": 2}
    assert read(ConfirmPost(), {"m": "garbage", "serial": "x"}) == {"m": None, "serial": None, "upload": None}
    assert read(NoCasesPost(), {"m": "2024-09", "confirm": "yes"})["confirm"] is True
    assert not read(NoCasesPost(), {"m": "2024-09", "confirm": "on"})["confirm"]
    assert read(NoCasesPost(), {"m": "2024-09"})["confirm"] is False


def test_amendment_request_messages():
    with pytest.raises(colander.Invalid) as invalid:
        AmendmentRequest().deserialize({"m": "", "reason": "   "})
    assert invalid.value.asdict() == {"m": "請選擇要修改的月份。", "reason": "請說明修改原因。"}
    with pytest.raises(colander.Invalid) as invalid:
        AmendmentRequest().deserialize({"m": "2024-9x", "reason": "字" * 501})
    assert invalid.value.asdict() == {"m": "請選擇要修改的月份。", "reason": "修改原因請在 500 字以內。"}
    assert AmendmentRequest().deserialize({"m": "2024-09", "reason": " 填錯 "}) == {"m": (2024, 9), "reason": "填錯"}
