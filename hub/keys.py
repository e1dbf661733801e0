"""Typed application keys for everything the app owns."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from hub.access import AccessTable
from hub.auth.service import AuthService
from hub.auth.tokens import TokenIssuer
from hub.events.bus import EventBus
from hub.gateway.commands import CommandRegistry
from hub.gateway.server import Gateway
from hub.metrics import HubMetrics
from hub.rest import RestApi
from hub.settings import Settings
from hub.topics import TopicPolicy

Document = dict[str, Any]

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", HubMetrics)
TOKENS = web.AppKey("tokens", TokenIssuer)
MONGO = web.AppKey("mongo", AsyncMongoClient[Document])
DB = web.AppKey("db", AsyncDatabase[Document])
REDIS = web.AppKey("redis", Redis)
BUS = web.AppKey("bus", EventBus)
GATEWAY = web.AppKey("gateway", Gateway)
COMMANDS = web.AppKey("commands", CommandRegistry)
REST = web.AppKey("rest", RestApi)
TOPICS = web.AppKey("topics", TopicPolicy)
ACCESS = web.AppKey("access", AccessTable)
AUTH = web.AppKey("auth", AuthService)
