"""The access matrix: every command, route and topic of every domain's access table × every
role × its own and a foreign scope (and no token). Generated from the tables themselves, so a
row added without a case here fails, and what a row says is what the hub does."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from hub import keys
from hub.access import AccessTable
from hub.app import create_app
from queueing.service import positions as queueing_positions
from tests.access import cases_appointments, cases_hub, cases_notifier, cases_queueing, cases_rtc
from tests.access.world import Builder, Report, World, run_row
from tests.support import drop_database, make_settings, running_hub

CASES: dict[str, dict[str, Builder]] = {
    "hub": cases_hub.CASES,
    "queueing": cases_queueing.CASES,
    "appointments": cases_appointments.CASES,
    "notifier": cases_notifier.CASES,
    "rtc": cases_rtc.CASES,
}
PREPARE: dict[str, Callable[[World], Awaitable[None]]] = {
    "hub": cases_hub.prepare,
    "notifier": cases_notifier.prepare,
}


def the_table() -> AccessTable:
    """The hub's table as the app builds it (nothing started)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), "mongodb://127.0.0.1:1")
        return create_app(settings)[keys.ACCESS]


def test_every_row_of_every_table_has_a_case_and_every_case_a_row() -> None:
    table = the_table()
    rows = {(table.domain_of(key), key) for key in table}
    cases = {(domain, key) for domain, found in CASES.items() for key in found}
    assert sorted(rows - cases) == [], "rows without a case in tests/access/cases_*.py"
    assert sorted(cases - rows) == [], "cases of rows no table has"


@pytest.mark.parametrize("domain", list(CASES))
async def test_access_matrix(
    domain: str, tmp_path: Path, mongo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each case waits for the queue's position updates it set off: at once, not every 2 s.
    monkeypatch.setattr(queueing_positions, "POSITIONS_SECONDS", 0.05)
    settings = make_settings(
        tmp_path,
        mongo_url,
        notifier={"worker": False},  # no delivery runs while refused cases are checked
        rtc={"record": False},
    )
    report = Report()
    try:
        async with running_hub(settings) as hub, aiohttp.ClientSession() as http:
            world = World(hub, http)
            try:
                await world.start()
                if domain in PREPARE:
                    await PREPARE[domain](world)
                table = hub.app[keys.ACCESS]
                for key in table:
                    if table.domain_of(key) == domain:
                        await run_row(world, key, table[key], CASES[domain][key], report)
            finally:
                await world.close()
    finally:
        drop_database(mongo_url, settings.mongodb_db)
    print(
        f"\naccess matrix {domain}: {report.cells} cells, {report.allowed} allowed, "
        f"{report.refused} refused, {len(report.failures)} failures"
    )
    assert not report.failures, "\n".join(report.failures)


def test_docs_security_prints_the_tables_as_they_are() -> None:
    from hub.access import markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text("utf-8")
    printed = doc.split("## The tables", 1)[1]
    assert markdown(the_table()).strip() in printed, (
        "docs/security.md is behind the access tables: regenerate its last section with "
        "`.venv/bin/hallhub access-table`"
    )
