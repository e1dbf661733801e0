"""An accessibility pass (axe-core, the engine behind Lighthouse's audit) over a page a browser
test has open: no serious or critical violation may be left.

    await assert_accessible(page)                       # the whole page
    await assert_accessible(page, exclude=["video"])    # leave out what axe cannot judge
"""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Page

from tests.support import ROOT

AXE = ROOT / "clients" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


async def violations(page: Page, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (WCAG 2.x A and AA)."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    context = {"exclude": [[selector] for selector in exclude or []]}
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    result: dict[str, Any] = await page.evaluate(
        "([context, options]) => window.axe.run(context, options)", [context, options]
    )
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            # What axe measured (colours and ratio for contrast), to fix without re-running.
            data = [check.get("data") for check in node.get("any", []) if check.get("data")]
            lines.append(f"  at {json.dumps(node['target'])} {json.dumps(data)[:300]}")
    return "\n".join(lines)


async def assert_accessible(page: Page, exclude: list[str] | None = None) -> None:
    # Judged once nothing fades in: a tag or dialog mid-transition has colours between its
    # start and end (seen: Element Plus's tag at 1.35:1 while appearing). Endless animations
    # (a spinner) do not count.
    await page.wait_for_function(
        """() => document.getAnimations().every(
            (a) => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity
        )"""
    )
    found = await violations(page, exclude)
    assert not found, f"{page.url}:\n{describe(found)}"
