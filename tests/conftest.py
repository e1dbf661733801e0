from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support import (
    RunningHub,
    drop_database,
    drop_redis_prefix,
    make_settings,
    nx_server,
    running_hub,
)


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    with nx_server() as url:
        yield url


@contextlib.asynccontextmanager
async def _started(tmp_path: Path, mongo_url: str, *, redis: bool) -> AsyncIterator[RunningHub]:
    settings = make_settings(tmp_path, mongo_url, redis=redis)
    async with running_hub(settings) as running:
        yield running
    if redis:
        await drop_redis_prefix(settings.redis_prefix)
    drop_database(mongo_url, settings.mongodb_db)


@pytest.fixture(params=["memory", "redis"])
async def hub(
    request: pytest.FixtureRequest, tmp_path: Path, mongo_url: str
) -> AsyncIterator[RunningHub]:
    """The hub started for real on a free port; once with the in-process log, once with Redis."""
    async with _started(tmp_path, mongo_url, redis=request.param == "redis") as running:
        yield running


@pytest.fixture
async def redis_hub(tmp_path: Path, mongo_url: str) -> AsyncIterator[RunningHub]:
    async with _started(tmp_path, mongo_url, redis=True) as running:
        yield running


@pytest.fixture
async def memory_hub(tmp_path: Path, mongo_url: str) -> AsyncIterator[RunningHub]:
    async with _started(tmp_path, mongo_url, redis=False) as running:
        yield running


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves a task running (Home Assistant does the same)."""
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    leaked = [
        t for t in asyncio.all_tasks() - before if not t.done() and t is not asyncio.current_task()
    ]
    if leaked:
        await asyncio.sleep(0.2)  # let closing sockets finish
        leaked = [t for t in leaked if not t.done()]
    assert not leaked, f"tasks left running: {leaked}"
