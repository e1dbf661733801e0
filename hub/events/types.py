"""Typed events: one pydantic model per event type, the model's class names its type.

    class TicketCalled(Event, type="queueing.ticket_called", topics=("hall", "ticket")):
        ticket_id: str
        ...

    await bus.publish(events.hall_topic(hall_id), TicketCalled(ticket_id=..., ...))

Every model registers itself when its class is made, so the hub knows every type it may
publish: `/api/v1/events.json` prints their JSON Schemas (the screens' TypeScript types are
checked against it), and an event kept in an outbox is checked against its model again when it
is finally published. A payload that does not fit its model is a bug caught where it is made.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.json_schema import models_json_schema

from hub.events.envelope import EVENT_TYPE

_MODELS: dict[str, type[Event]] = {}


class UnknownEventType(LookupError):
    pass


class Event(BaseModel):
    """The data of one event type. Subclass with `type=` (and the topic kinds it goes to)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str] = ""
    event_topics: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, type: str = "", topics: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not type:
            return  # an intermediate base: fields shared by several types
        if not EVENT_TYPE.match(type):
            raise ValueError(f"event type {type!r} is not <domain>.<noun>_<past verb>")
        known = _MODELS.get(type)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"event type {type!r} has two models: {known} and {cls}")
        cls.event_type = type
        cls.event_topics = topics
        _MODELS[type] = cls

    def payload(self) -> dict[str, Any]:
        """The event's data as JSON (what the envelope carries)."""
        return self.model_dump(mode="json")


def model_of(type: str) -> type[Event]:
    found = _MODELS.get(type)
    if found is None:
        raise UnknownEventType(type)
    return found


def checked(type: str, data: Any) -> dict[str, Any]:
    """Data kept under a type (an outbox's), checked against the type's model."""
    model = model_of(type)
    try:
        return model.model_validate(data).payload()
    except ValidationError as exc:
        raise TypeError(f"{type}: the data does not fit its model: {exc}") from exc


def registered() -> dict[str, type[Event]]:
    return dict(sorted(_MODELS.items()))


def describe() -> dict[str, Any]:
    """Every event type's topics, summary and JSON Schema (`/api/v1/events.json`)."""
    return {
        type: {
            "summary": " ".join((model.__doc__ or "").strip().split("\n\n")[0].split()),
            "topics": list(model.event_topics),
            "data": model.model_json_schema(mode="serialization"),
        }
        for type, model in registered().items()
    }


def typescript_schema() -> dict[str, Any]:
    """One JSON Schema naming every event type's data, with the models' shared definitions
    once: what clients/shared/scripts/gen-events.mjs turns into TypeScript (`EventData`, a map
    from type to its data's interface)."""
    models = registered()
    refs, top = models_json_schema(
        [(model, "serialization") for model in models.values()],
        ref_template="#/$defs/{model}",
    )
    schema = {
        "title": "EventData",
        "type": "object",
        "properties": {type: refs[(model, "serialization")] for type, model in models.items()},
        "required": list(models),
        "additionalProperties": False,
        "$defs": top.get("$defs", {}),
    }
    # Two domains' models of one name come out as `rtc__events__PositionChanged`: named
    # `RtcPositionChanged` instead.
    renamed = {
        name: "".join(part.capitalize() for part in name.split("__")[0].split("_"))
        + name.rsplit("__", 1)[1]
        for name in schema["$defs"]
        if "__" in name
    }
    result: dict[str, Any] = _renamed(schema, renamed)
    # A type is named by its definition; a field's own title would become a type alias each.
    result["$defs"] = {
        name: {**_untitled(definition), "title": name}
        for name, definition in result["$defs"].items()
    }
    result["properties"] = _untitled(result["properties"])
    return result


def _untitled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untitled(v) for k, v in value.items() if k != "title"}
    if isinstance(value, list):
        return [_untitled(item) for item in value]
    return value


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                name = item.rsplit("/", 1)[1]
                out[key] = f"#/$defs/{names.get(name, name)}"
            elif key == "$defs":
                out[key] = {names.get(k, k): _renamed(v, names) for k, v in item.items()}
            else:
                out[key] = _renamed(item, names)
        return out
    if isinstance(value, list):
        return [_renamed(item, names) for item in value]
    return value


__all__ = [
    "Event",
    "UnknownEventType",
    "checked",
    "describe",
    "model_of",
    "registered",
    "typescript_schema",
]
