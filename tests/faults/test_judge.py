"""The fault tests' judge can fail: the screens' rule (the Python port of sequencer.ts) and the
tally against a topic's log, on made-up records."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.driver import TopicRecord
from tests.faults.sequencer import CatchUp, TopicSequencer
from tests.faults.truth import Log, Tally, tally

pytestmark = pytest.mark.faults

EPOCH = "e1"


def event(seq: int, what: str = "") -> dict[str, Any]:
    return {"type": "t.x", "topic": "hall:h1", "seq": seq, "data": {"n": what or str(seq)}}


LOG = Log(EPOCH, [event(s) for s in range(1, 11)])


def record(
    applied: list[int], baselines: list[tuple[int, int | None]] | None = None
) -> TopicRecord:
    kept = TopicRecord("hall:h1")
    kept.applied = [(s, EPOCH, event(s)) for s in applied]
    kept.baselines = [(EPOCH, seq, before) for seq, before in (baselines or [(0, None)])]
    return kept


def test_the_sequencer_applies_in_order_holds_after_a_gap_and_drops_repeats() -> None:
    sequencer = TopicSequencer()
    assert sequencer.receive(event(1)).apply == []  # no baseline yet: held
    assert [e["seq"] for e in sequencer.baseline(0, EPOCH).apply] == [1]
    assert [e["seq"] for e in sequencer.receive(event(2)).apply] == [2]
    assert sequencer.is_duplicate(event(2))
    gap = sequencer.receive(event(5))
    assert (gap.apply, gap.catch_up) == ([], CatchUp(2, EPOCH))
    step = sequencer.caught_up(5, EPOCH, [event(3), event(4), event(5)])
    assert [e["seq"] for e in step.apply] == [3, 4, 5]
    assert sequencer.pause() == CatchUp(5, EPOCH)
    stalled = [sequencer.caught_up(7, EPOCH, []) for _ in range(3)]
    assert stalled[-1].resync  # a gap the log cannot close: reload the snapshot


@pytest.mark.parametrize(
    ("applied", "expected"),
    [
        (list(range(1, 11)), Tally(expected=10, delivered=10)),
        ([1, 2, 3, 5, 6, 7, 8, 9, 10], Tally(expected=10, delivered=9, missed=1)),
        ([*range(1, 11), 10], Tally(expected=10, delivered=10, duplicated=1)),
        ([1, 2, 4, 3, *range(5, 11)], Tally(expected=10, delivered=10, reordered=1)),
    ],
)
def test_the_tally_counts_what_went_wrong(applied: list[int], expected: Tally) -> None:
    assert tally(record(applied), LOG) == expected


def test_a_changed_event_and_a_snapshot_are_told_apart() -> None:
    changed = record(list(range(1, 11)))
    changed.applied[4] = (5, EPOCH, event(5, "something else"))
    assert tally(changed, LOG).mismatched == 1
    # Started from a snapshot at 3, reloaded one at 8 after 5: 6-8 covered, not missed.
    resynced = record([4, 5, 9, 10], [(3, None), (8, 5)])
    assert tally(resynced, LOG) == Tally(expected=4, delivered=4, covered=3)
