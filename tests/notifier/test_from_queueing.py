"""Messages made by rules from the hall's own events: a citizen who took a ticket in the H5
app is told on their phone when it is nearly their turn and when they are called; the hall's
supervisors get an alert when a counter pauses."""

from __future__ import annotations

from hub.auth.models import Principal, Role
from queueing.api import HALLS, QUEUE
from queueing.models import Channel
from tests.notifier.conftest import Center
from tests.queueing.factories import setup

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
NEVER_QUIET = {"start": "00:00:00", "end": "00:00:00"}


async def test_a_ticket_from_the_h5_app_is_followed_by_sms_and_inbox(center: Center) -> None:
    hub = center.hub
    await hub.app[HALLS].apply_setup(setup())
    queue = hub.app[QUEUE]
    # No quiet hours: the SMS go at whatever hour the test runs (the default holds them 21-8).
    await center.contact("citizen:c-1", phone="13800138000", quiet_hours=NEVER_QUIET)
    await queue.open_counter("w1", CLERK)
    ticket = await queue.take_ticket("h1", "s1", Channel.MINIAPP, None, citizen_id="c-1")
    await queue.settle()  # the position round that taking a ticket starts
    await center.drain()
    near = [s.body for s in center.twilio.sent]
    assert near == [f"【政务服务】您的号码{ticket.code}前面还有0人，请到大厅等候叫号。"]

    await queue.call_next("w1", CLERK)
    await queue.settle()
    await center.drain()
    assert center.twilio.bodies()[1:] == [f"【政务服务】请{ticket.code}号到1号窗口办理户籍。"]
    inbox = await center.service.inbox("citizen:c-1", None, 10, None)
    assert [i["title"] for i in inbox["items"]] == ["轮到您了", "即将轮到您"]

    # Another position round tells nobody twice.
    await queue.publish_positions(await hub.app[HALLS].get_hall("h1"), ticket.day)
    await center.drain()
    assert len(center.twilio.sent) == 2


async def test_a_paused_counter_alerts_the_halls_supervisors_only(center: Center) -> None:
    hub = center.hub
    await hub.app[HALLS].apply_setup(setup())
    await center.contact("user:sup-h1", name="赵主任", groups=["supervisors:h1"])
    await center.contact("user:sup-h2", name="钱主任", groups=["supervisors:h2"])
    queue = hub.app[QUEUE]
    await queue.open_counter("w1", CLERK)
    await queue.pause("w1", "午休", CLERK)
    await center.drain()
    [alert] = (await center.service.inbox("user:sup-h1", None, 10, None))["items"]
    assert alert["kind"] == "counter_paused_alert"
    assert "1号窗口" in alert["body"]
    assert (await center.service.inbox("user:sup-h2", None, 10, None))["items"] == []
