"""The configuration the hot paths use (kinds, rules, templates) is kept a few seconds: a change
made through this node's service is used at once, another node's within CONFIG_SECONDS; a kind
or template the cache lacks is looked up before it counts as missing. And the outbox: the
deliveries written here are claimed by their id, with no search; the outbox is still searched
on time for the others."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from hub import keys
from hub.events import Envelope
from notifier.models import (
    Channel,
    DeliveryQuery,
    KindSpec,
    Rule,
    SendIn,
    Template,
    TemplateIn,
)
from notifier.service import NotifierService
from notifier.service.claim import IDLE_POLL_SECONDS, Outbox
from notifier.service.config import CONFIG_SECONDS, ConfigCache
from notifier.store import CANDIDATES, NotifierStore
from tests.notifier.conftest import Center

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NEAR = {"ticket_id": "h1-20261126-A012", "number": "A012", "ahead": 2, "estimate_minutes": 6.4}


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store_of(center: Center) -> NotifierStore:
    """The same collections as another node sees them."""
    return NotifierStore(center.hub.app[keys.DB])


async def near(center: Center, event_id: str, recipient: str = "citizen:c1") -> None:
    """A turn-near event told to the message center (as the bus tells it)."""
    await center.service.on_event(
        Envelope(
            type="queueing.turn_near",
            topic=recipient,
            seq=1,
            ts_ms=0,
            data=NEAR,
            ctx="x",
            event_id=event_id,
        )
    )


async def inbox_bodies(center: Center, recipient: str = "citizen:c1") -> list[str]:
    inbox = await center.service.inbox(recipient, None, 10, None)
    return [i["body"] for i in inbox["items"]]


def _version(kind: str, channel: Channel, text: str, version: int) -> Template:
    return Template.model_validate(
        {
            "_id": f"{kind}/{channel.value}/zh-CN/v{version}",
            "kind": kind,
            "channel": channel,
            "version": version,
            "text": text,
            "created_at": NOW,
        }
    )


# -- the cache on its own ---------------------------------------------------------------------


async def test_another_nodes_change_is_seen_after_the_cache_time_and_not_before(
    center: Center,
) -> None:
    store = store_of(center)
    ticker = Ticker()
    cache = ConfigCache(store, monotonic=ticker)
    before = await cache.template("ticket_near", Channel.IN_APP, "zh-CN")
    assert before is not None
    # Another node saves a newer version and disables a rule.
    await store.add_template(_version("ticket_near", Channel.IN_APP, "新 {{ number }}", 9))
    rules = {r.id: r for r in await store.rules()}
    await store.save_rule(rules["ticket-near"].model_copy(update={"enabled": False}))
    ticker.now += CONFIG_SECONDS - 0.1
    assert await cache.template("ticket_near", Channel.IN_APP, "zh-CN") == before
    assert {r.id: r for r in await cache.rules()}["ticket-near"].enabled
    ticker.now += 0.2
    newer = await cache.template("ticket_near", Channel.IN_APP, "zh-CN")
    assert newer is not None
    assert newer.version == 9
    assert not {r.id: r for r in await cache.rules()}["ticket-near"].enabled


async def test_a_kind_or_template_made_elsewhere_is_found_at_once(center: Center) -> None:
    store = store_of(center)
    ticker = Ticker()
    cache = ConfigCache(store, monotonic=ticker)
    assert await cache.kind("parking") is None
    assert await cache.template("parking", Channel.IN_APP, "zh-CN") is None
    await store.save_kind(KindSpec.model_validate({"_id": "parking", "title": "停车提醒"}))
    await store.add_template(_version("parking", Channel.IN_APP, "车位 {{ n }}", 1))
    kind = await cache.kind("parking")  # a miss is looked up in the store
    assert kind is not None
    assert kind.title == "停车提醒"
    template = await cache.template("parking", Channel.IN_APP, "en-US")  # zh-CN as fallback
    assert template is not None
    assert template.text == "车位 {{ n }}"
    # ... and the cache read again with it (no time has passed).
    assert "parking" in (await cache.current()).kinds


async def test_a_read_under_way_when_a_change_is_made_is_not_kept(center: Center) -> None:
    store = store_of(center)
    cache = ConfigCache(store)
    reads = 0
    release = asyncio.Event()
    real_rules = store.rules

    async def slow_rules() -> list[Rule]:
        nonlocal reads
        reads += 1
        if reads == 1:
            await release.wait()
        return await real_rules()

    store.rules = slow_rules  # type: ignore[method-assign]
    first = asyncio.create_task(cache.current())
    second = asyncio.create_task(cache.current())  # waits for the first read
    await asyncio.sleep(0.05)
    cache.forget()  # a change made meanwhile
    release.set()
    await asyncio.gather(first, second)
    # The read that began before the change was not kept: the second caller read again.
    assert reads == 2
    await cache.current()
    assert reads == 2


# -- through the service: this node's changes at once ------------------------------------------


async def test_this_nodes_changes_are_used_by_the_next_event_at_once(center: Center) -> None:
    center.at(NOW)
    await near(center, "evt-1")  # the cache is read
    await center.drain()
    assert await inbox_bodies(center) == [
        "您的号码 A012 前面还有 2 人，预计约 6 分钟，请到大厅等候。"
    ]

    await center.service.save_template(
        TemplateIn(kind="ticket_near", channel=Channel.IN_APP, text="快到 {{ number }} 了"),
        by="test",
    )
    await near(center, "evt-2")
    await center.drain()
    assert "快到 A012 了" in await inbox_bodies(center)

    rule = {r.id: r for r in await center.service.rules()}["ticket-near"]
    await center.service.delete_rule(rule.id)
    await near(center, "evt-3")
    assert await center.drain() == 0  # no rule, no message
    await center.service.save_rule(rule)
    await near(center, "evt-4")
    assert await center.drain() == 1

    kind = {k.id: k for k in await center.service.kinds()}["ticket_near"]
    await center.service.save_kind(kind.model_copy(update={"title": "快轮到您"}))
    preferences = await center.service.preferences("citizen:c1")
    assert {k["id"]: k["title"] for k in preferences["kinds"]}["ticket_near"] == "快轮到您"


# -- the outbox ---------------------------------------------------------------------------------


def outbox_of(service: NotifierService) -> Outbox:
    return service._outbox


class Counted:
    """Counts the outbox's searches and claims by id on a store."""

    def __init__(self, store: NotifierStore) -> None:
        self.searches = 0
        self.takes = 0
        due, take = store.due, store.take

        async def counted_due(*args: Any, **kwargs: Any) -> list[str]:
            self.searches += 1
            return await due(*args, **kwargs)

        async def counted_take(*args: Any, **kwargs: Any) -> Any:
            self.takes += 1
            return await take(*args, **kwargs)

        store.due = counted_due  # type: ignore[method-assign]
        store.take = counted_take  # type: ignore[method-assign]


def notice(recipient: str = "citizen:c1") -> SendIn:
    return SendIn.model_validate(
        {
            "kind": "notice",
            "recipients": [recipient],
            "data": {"title": "通知", "body": "正文"},
            "channels": [Channel.IN_APP],
        }
    )


def other_node(center: Center) -> NotifierService:
    """Another node's message center on the same collections (it writes; it works nothing)."""
    other = NotifierService(
        store_of(center), center.hub.app[keys.BUS], center.hub.app[keys.SETTINGS].notifier
    )
    other._now = lambda: NOW
    return other


async def test_a_delivery_written_here_is_claimed_by_its_id_and_the_others_when_searched(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c1")
    await center.contact("citizen:c2")
    await other_node(center).send(notice("citizen:c2"), idempotency_key=None)
    await center.service.send(notice(), idempotency_key=None)
    outbox = outbox_of(center.service)
    counted = Counted(center.service._store)
    outbox._searched_at = time.monotonic()  # the worker's loop searched a moment ago
    claimed = await outbox.claim(search=False)
    assert claimed is not None
    assert claimed.recipient == "citizen:c1"
    assert (counted.searches, counted.takes) == (0, 1)
    # Nothing else known and no search due yet: the loop waits for it ...
    assert await outbox.claim(search=False) is None
    assert counted.searches == 0
    # ... which comes IDLE_POLL_SECONDS after the last, and finds the other node's.
    outbox._searched_at -= IDLE_POLL_SECONDS
    claimed = await outbox.claim(search=False)
    assert claimed is not None
    assert claimed.recipient == "citizen:c2"
    assert counted.searches == 1
    # A claim that is asked for a delivery (`work_once`) searches when nothing is known.
    assert await outbox.claim() is None
    assert counted.searches == 2


async def test_a_full_batch_is_followed_by_another_search_before_those_written_here(
    center: Center,
) -> None:
    center.at(NOW)
    other = other_node(center)
    for n in range(CANDIDATES + 2):
        await center.contact(f"citizen:o{n}")
        await other.send(notice(f"citizen:o{n}"), idempotency_key=None)
    await center.contact("citizen:c1")
    await center.service.send(notice(), idempotency_key=None)
    outbox = outbox_of(center.service)
    outbox._searched_at = time.monotonic() - IDLE_POLL_SECONDS
    claimed = [await outbox.claim(search=False) for _ in range(CANDIDATES + 3)]
    recipients = [c.recipient for c in claimed if c is not None]
    assert len(set(recipients)) == CANDIDATES + 3
    # The backlog first, as it always was; this node's among the last searched.
    assert "citizen:c1" not in recipients[:CANDIDATES]
    assert await outbox.claim(search=False) is None


async def test_deliveries_whose_key_exists_are_left_out_and_the_others_written(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone="13800138000")
    store = store_of(center)
    await near(center, "evt-1")
    [existing] = await center.service.search(
        DeliveryQuery(recipient="citizen:c1", channel=Channel.IN_APP)
    )
    fresh = existing.model_copy(update={"id": "d-new", "key": "another-key"})
    again = existing.model_copy(update={"id": "d-again"})  # same key: the event handled before
    added = await store.add_deliveries([again, fresh])
    assert added == {"d-new"}
    assert await store.delivery("d-new") is not None
    assert await store.delivery("d-again") is None
