"""How a domain plugs into the hub: one `install(app)` per domain's api module.

`install` registers the domain's commands, routes and topic rules on the registries found
in the app, and appends a cleanup context that builds the domain's service once storage is up.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

Install = Callable[[web.Application], None]
