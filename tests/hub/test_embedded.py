"""The embedded store: one hub per data directory, and a clean stop."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from hub.embedded import EmbeddedMongo
from hub.errors import Unavailable


async def test_one_hub_per_data_directory(tmp_path: Path) -> None:
    first = EmbeddedMongo(tmp_path / "var")
    url = await first.start()
    try:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        await client.admin.command("ping")
        await client.close()
        second = EmbeddedMongo(tmp_path / "var")
        with pytest.raises(Unavailable, match="正被另一个 HallHub 进程"):
            await second.start()
        # A different directory is fine at the same time.
        other = EmbeddedMongo(tmp_path / "other")
        await other.start()
        await other.stop()
        other.release()
    finally:
        await first.stop()
        first.release()
    again = EmbeddedMongo(tmp_path / "var")
    await again.start()
    await again.stop()
    again.release()
