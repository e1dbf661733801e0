"""Stored documents and value objects of the queueing domain. No I/O."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OpeningHours(_Model):
    """Opening hours on the given ISO weekdays (1 = Monday)."""

    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1)
    opens: time
    closes: time


class Hall(_Model):
    """A service hall (网点)."""

    id: Slug = Field(alias="_id")
    name: str = Field(min_length=1, max_length=60)
    address: str = ""
    timezone: str = "Asia/Shanghai"
    opening_hours: list[OpeningHours] = Field(default_factory=list)
    notice: str = Field("", max_length=500)


class Service(_Model):
    """A service category (事项类别) with its own ticket numbers."""

    id: Slug = Field(alias="_id")
    hall_id: Slug
    name: str = Field(min_length=1, max_length=60)
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    first_number: int = Field(1, ge=0)
    last_number: int = Field(999, ge=1)
    daily_cap: int | None = Field(None, ge=1)
    expected_minutes: float = Field(10.0, gt=0)
    opening_hours: list[OpeningHours] = Field(default_factory=list)


class CounterService(_Model):
    service_id: Slug
    weight: int = Field(1, ge=1, le=100)


class Counter(_Model):
    """A counter (窗口) and the services it serves."""

    id: Slug = Field(alias="_id")
    hall_id: Slug
    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=40)
    services: list[CounterService] = Field(min_length=1)


class HallSetup(_Model):
    """A hall with its services and counters, as written in a setup file."""

    hall: Hall
    services: list[Service]
    counters: list[Counter]


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    notice: str = Field(max_length=500)


class HallSummary(BaseModel):
    id: str
    name: str
    address: str
    timezone: str
    services: int
    counters: int


class HallDetail(BaseModel):
    hall: Hall
    services: list[Service]
    counters: list[Counter]
