"""Pure rules of the queueing domain: (state, command, now) -> decisions. No I/O."""

from __future__ import annotations

from collections import Counter as Tally
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queueing.models import HallSetup


def setup_problems(setup: HallSetup) -> list[str]:
    """Everything wrong with a hall setup, in Chinese, empty when it is sound."""
    problems: list[str] = []
    hall_id = setup.hall.id
    try:
        ZoneInfo(setup.hall.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"未知的时区：{setup.hall.timezone}")
    for hours in setup.hall.opening_hours:
        if hours.opens >= hours.closes:
            problems.append(f"营业时间 {hours.opens}–{hours.closes} 不合理")
    service_ids = {s.id for s in setup.services}
    for service in setup.services:
        if service.hall_id != hall_id:
            problems.append(f"事项 {service.id} 不属于大厅 {hall_id}")
        if service.first_number > service.last_number:
            problems.append(f"事项 {service.id} 的号码范围为空")
    for prefix, n in Tally(s.prefix for s in setup.services).items():
        if n > 1:
            problems.append(f"号码前缀 {prefix} 被 {n} 个事项使用")
    for ident, n in Tally(s.id for s in setup.services).items():
        if n > 1:
            problems.append(f"事项编号 {ident} 重复")
    for number, n in Tally(c.number for c in setup.counters).items():
        if n > 1:
            problems.append(f"窗口号 {number} 重复")
    for counter in setup.counters:
        if counter.hall_id != hall_id:
            problems.append(f"窗口 {counter.id} 不属于大厅 {hall_id}")
        for served in counter.services:
            if served.service_id not in service_ids:
                problems.append(f"窗口 {counter.id} 引用了不存在的事项 {served.service_id}")
    return problems
