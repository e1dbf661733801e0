"""Typed events: a model per type, registered when made, checked when kept data is published."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.events.types import Event, UnknownEventType, checked, describe, model_of


class SampleCounted(Event, type="test.sample_counted", topics=("hall",)):
    """A sample was counted.

    More words that are not the summary."""

    n: int
    label: str = ""


def test_a_model_registers_its_type_and_topics() -> None:
    assert model_of("test.sample_counted") is SampleCounted
    assert SampleCounted.event_type == "test.sample_counted"
    doc = describe()["test.sample_counted"]
    assert doc["topics"] == ["hall"]
    assert doc["summary"] == "A sample was counted."
    assert doc["data"]["required"] == ["n"]
    assert SampleCounted(n=2).payload() == {"n": 2, "label": ""}


def test_a_payload_that_does_not_fit_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValidationError):
        SampleCounted(n=1, surprise=True)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SampleCounted(n="many")


def test_kept_data_is_checked_against_its_model() -> None:
    assert checked("test.sample_counted", {"n": 3}) == {"n": 3, "label": ""}
    with pytest.raises(TypeError, match="does not fit"):
        checked("test.sample_counted", {"n": "x"})
    with pytest.raises(UnknownEventType):
        checked("test.nothing_registered", {})


def test_type_names_are_checked_and_unique() -> None:
    with pytest.raises(ValueError, match="past verb"):

        class Bad(Event, type="NotAType"):
            pass

    with pytest.raises(ValueError, match="two models"):

        class Again(Event, type="test.sample_counted"):
            pass


def test_the_screens_typescript_types_follow_the_models() -> None:
    """clients/shared/src/events.generated.ts is what the models say now (the screens' code is
    type-checked against it, so Python and the screens cannot drift)."""
    root = Path(__file__).resolve().parents[2]
    schema = subprocess.run(
        [sys.executable, "-m", "hub", "events-schema"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        # a secret of its own: the command writes none under var/
        env={**os.environ, "HALLHUB_LOG_LEVEL": "WARNING", "HALLHUB_JWT_SECRET": "s" * 40},
    ).stdout
    generated = subprocess.run(
        ["node", "clients/shared/scripts/gen-events.mjs"],
        cwd=root,
        input=schema,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (root / "clients/shared/src/events.generated.ts").read_text("utf-8")
    assert generated == committed, (
        "the event models changed: regenerate clients/shared/src/events.generated.ts with "
        "`.venv/bin/hallhub events-schema | node clients/shared/scripts/gen-events.mjs "
        "> clients/shared/src/events.generated.ts`"
    )
