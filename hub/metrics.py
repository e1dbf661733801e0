"""Prometheus metrics, one registry per app (several hubs can live in one test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HubMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "hallhub_connections",
            "Open Socket.IO connections on this node",
            registry=self.registry,
        )
        self.events_published = Counter(
            "hallhub_events_published",
            "Events published by this node",
            ["domain"],
            registry=self.registry,
        )
        self.events_delivered = Counter(
            "hallhub_events_delivered",
            "Event frames written to sockets on this node",
            registry=self.registry,
        )
        self.commands = Counter(
            "hallhub_commands",
            "Socket.IO commands handled",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.commands_rate_limited = Counter(
            "hallhub_commands_rate_limited",
            "Socket.IO commands refused by the rate limit (answered RATE_LIMITED, not run)",
            ["scope"],
            registry=self.registry,
        )
        self.command_latency = Histogram(
            "hallhub_command_latency_seconds",
            "Time to answer a Socket.IO command",
            ["command"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "hallhub_http_latency_seconds",
            "Time to answer a REST request",
            ["route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.connect_refused = Counter(
            "hallhub_connect_refused",
            "Socket.IO connections refused at connect",
            ["code"],
            registry=self.registry,
        )

        self.dependency_up = Gauge(
            "hallhub_dependency_up",
            "1 while the system answers this node's health check (mongodb, redis), else 0",
            ["system"],
            registry=self.registry,
        )
        self.dependency_outages = Counter(
            "hallhub_dependency_outages",
            "Times a system stopped answering this node's health check",
            ["system"],
            registry=self.registry,
        )
        self.redis_restarts = Counter(
            "hallhub_redis_restarts",
            "Redis restarts seen (its run id changed): the event log started a new epoch",
            registry=self.registry,
        )
        self.store_restarts = Counter(
            "hallhub_embedded_store_restarts",
            "Times the embedded store's process died and was started again by this node",
            registry=self.registry,
        )
        self.resync_notices = Counter(
            "hallhub_resync_notices",
            "Topics whose local subscribers were told to reload (the event log was reset)",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
