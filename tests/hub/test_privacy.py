from __future__ import annotations

import pytest

from hub.privacy import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张小三", "张*三"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", "")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_phone_and_id_number() -> None:
    assert mask_phone("13812340000") == "138****0000"
    assert mask_phone("12345") == "*****"
    assert mask_id_number("11010119900307123X") == "110101********123X"
    assert mask_id_number("123") == "***"
