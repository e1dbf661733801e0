"""Hall setup rules, pure."""

from __future__ import annotations

from typing import Any

import pytest

from queueing.domain import setup_problems
from queueing.models import HallSetup


def _setup(**changes: Any) -> HallSetup:
    raw: dict[str, Any] = {
        "hall": {
            "id": "h1",
            "name": "大厅",
            "timezone": "Asia/Shanghai",
            "opening_hours": [{"weekdays": [1, 2], "opens": "08:30", "closes": "17:00"}],
        },
        "services": [
            {"id": "s1", "hall_id": "h1", "name": "户籍", "prefix": "A"},
            {"id": "s2", "hall_id": "h1", "name": "社保", "prefix": "B"},
        ],
        "counters": [
            {
                "id": "w1",
                "hall_id": "h1",
                "number": 1,
                "name": "1号",
                "services": [{"service_id": "s1"}, {"service_id": "s2", "weight": 2}],
            },
        ],
    }
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            target = raw[section] if isinstance(raw[section], dict) else raw[section][0]
            target[field] = value
        else:
            raw[section] = value
    return HallSetup.model_validate(raw)


def test_a_sound_setup_has_no_problems() -> None:
    assert setup_problems(_setup()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"hall__timezone": "Mars/Olympus"}, "未知的时区"),
        (
            {"hall__opening_hours": [{"weekdays": [1], "opens": "18:00", "closes": "09:00"}]},
            "营业时间",
        ),
        ({"services__prefix": "B"}, "号码前缀 B"),
        ({"services__hall_id": "h2"}, "不属于大厅"),
        ({"services__first_number": 500, "services__last_number": 10}, "号码范围为空"),
        ({"counters__services": [{"service_id": "nope"}]}, "不存在的事项 nope"),
        ({"counters__hall_id": "h9"}, "窗口 w1 不属于大厅"),
    ],
)
def test_each_mistake_is_named(changes: dict[str, Any], problem: str) -> None:
    problems = setup_problems(_setup(**changes))
    assert any(problem in p for p in problems), problems


def test_duplicate_counter_numbers_and_service_ids() -> None:
    setup = _setup()
    doubled = setup.model_copy(
        update={
            "counters": [*setup.counters, setup.counters[0].model_copy(update={"id": "w2"})],
            "services": [*setup.services, setup.services[0].model_copy(update={"prefix": "C"})],
        }
    )
    problems = setup_problems(doubled)
    assert any("窗口号 1 重复" in p for p in problems)
    assert any("事项编号 s1 重复" in p for p in problems)
