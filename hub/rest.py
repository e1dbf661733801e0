"""REST under /api/v1: declared routes with typed bodies, role checks, problem+json errors
(RFC 9457) and an OpenAPI 3.1 document built from the same declarations."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError, create_model
from pydantic_core import PydanticUndefined, to_jsonable_python

from hub.access import AccessTable, Grant, route_key
from hub.auth.models import Principal
from hub.auth.tokens import TokenIssuer
from hub.context import new_ctx
from hub.errors import BadRequest, Forbidden, HubError, InvalidPayload, NotFound, Unauthenticated
from hub.logs import get_logger
from hub.metrics import HubMetrics

log = get_logger("hub.rest")

PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
ERROR_DOCS = "https://hallhub.dev/errors/"

B = TypeVar("B", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)


class NoBody(BaseModel):
    pass


@dataclass(frozen=True, slots=True)
class Request(Generic[B, Q]):
    http: web.Request
    principal: Principal | None
    body: B
    query: Q
    ctx: str

    @property
    def app(self) -> web.Application:
        return self.http.app

    def path(self, name: str) -> str:
        return self.http.match_info[name]

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal


Handler = Callable[[Request[Any, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    summary: str
    tag: str

    @property
    def key(self) -> str:
        """Its row in the access table."""
        return route_key(self.method, self.path)


class RestApi:
    """The routes, each governed by its row of the access table (`METHOD /path`)."""

    def __init__(self, access: AccessTable) -> None:
        self.routes: list[Route] = []
        self.access = access

    def route(
        self,
        method: str,
        path: str,
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        summary: str = "",
        tag: str = "hub",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method.upper(),
                    path,
                    handler,
                    body,
                    query,
                    response,
                    status,
                    summary,
                    tag,
                )
            )
            return handler

        return register

    def install(self, app: web.Application, tokens: TokenIssuer, metrics: HubMetrics) -> None:
        for route in self.routes:
            app.router.add_route(
                route.method,
                PREFIX + route.path,
                _endpoint(route, self.access[route.key], tokens, metrics),
            )
        app.router.add_get(PREFIX + "/openapi.json", self._openapi)
        app.router.add_route("*", PREFIX + "/{tail:.*}", _not_found)

    async def _openapi(self, request: web.Request) -> web.Response:
        return web.json_response(self.openapi(), dumps=_dumps)

    def openapi(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        schemas: dict[str, Any] = {}

        def ref(model: Any) -> dict[str, Any]:
            if isinstance(model, type) and issubclass(model, BaseModel):
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
                return {"$ref": f"#/components/schemas/{model.__name__}"}
            if getattr(model, "__origin__", None) is list:
                return {"type": "array", "items": ref(model.__args__[0])}
            return {}

        problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for route in self.routes:
            op: dict[str, Any] = {
                "summary": route.summary,
                "tags": [route.tag],
                "operationId": route.handler.__name__,
                "responses": {
                    str(route.status): {
                        "description": "OK",
                        "content": {"application/json": {"schema": ref(route.response)}},
                    },
                    "default": {"description": "Error", **problem},
                },
            }
            access = self.access[route.key]
            if not access.public:
                op["security"] = [{"bearer": []}]
                op["x-access"] = access.describe()
            if route.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(route.body)}},
                }
            params = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _path_params(route.path)
            ]
            if route.query is not None:
                for name, field in route.query.model_fields.items():
                    params.append(
                        {
                            "name": name,
                            "in": "query",
                            "required": field.is_required(),
                            "schema": route.query.model_json_schema()["properties"][name],
                        }
                    )
            if params:
                op["parameters"] = params
            paths.setdefault(PREFIX + route.path, {})[route.method.lower()] = op
        schemas["Problem"] = {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {"type": "string"},
                "ctx": {"type": "string"},
            },
            "required": ["type", "title", "status", "code"],
        }
        return {
            "openapi": "3.1.0",
            "info": {"title": "HallHub API", "version": "1"},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


_required_models: dict[type[BaseModel], type[BaseModel]] = {}


def required(model: type[BaseModel]) -> type[BaseModel]:
    """The same model with every field required: a PUT body replaces the whole resource, so a
    field left out is an error, not its default."""
    if model not in _required_models:
        fields: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            strict_field = copy.copy(field)
            strict_field.default = PydanticUndefined
            strict_field.default_factory = None
            fields[name] = (field.annotation, strict_field)
        _required_models[model] = create_model(
            f"{model.__name__}In", __config__=model.model_config, **fields
        )
    return _required_models[model]


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _dumps(value: Any) -> str:
    # Field names, not storage aliases: an API speaks of `id`, the database of `_id`.
    jsonable = to_jsonable_python(value, by_alias=False)
    return json.dumps(jsonable, ensure_ascii=False, separators=(",", ":"))


def problem(exc: HubError, ctx: str) -> web.Response:
    body: dict[str, Any] = {
        "type": ERROR_DOCS + exc.code,
        "title": exc.code,
        "status": exc.status,
        "detail": exc.message,
        "code": exc.code,
        "ctx": ctx,
    }
    if exc.details:
        body["details"] = exc.details
    return web.Response(
        status=exc.status,
        text=_dumps(body),
        content_type=PROBLEM_JSON,
        headers={"X-Request-Id": ctx},
    )


async def _not_found(request: web.Request) -> web.Response:
    return problem(NotFound(f"没有这个接口：{request.method} {request.path}"), new_ctx())


def bearer_principal(request: web.Request, tokens: TokenIssuer) -> Principal | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Authorization 头应为 Bearer <令牌>")
    return tokens.verify(token.strip())


def _endpoint(
    route: Route, access: Grant, tokens: TokenIssuer, metrics: HubMetrics
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        ctx = new_ctx(request.headers.get("X-Request-Id"))
        started = time.perf_counter()
        status = 500
        try:
            principal = bearer_principal(request, tokens)
            if not access.public:
                if principal is None:
                    raise Unauthenticated()
                if not access.may_try(principal):
                    raise Forbidden(f"角色 {principal.role.value} 无权访问此接口")
            body = await _parse_body(request, route.body)
            query = _parse_query(request, route.query)
            result = await route.handler(Request(request, principal, body, query, ctx))
            if isinstance(result, web.StreamResponse):
                status = result.status
                return result
            status = route.status
            return web.Response(
                status=route.status,
                text=_dumps(result),
                content_type="application/json",
                headers={"X-Request-Id": ctx},
            )
        except HubError as exc:
            status = exc.status
            if exc.status >= 500:
                log.error("request_failed", path=request.path, code=exc.code)
            return problem(exc, ctx)
        except Exception:
            log.exception("request_crashed", path=request.path)
            return problem(HubError(), ctx)
        finally:
            metrics.http_latency.labels(route.path, str(status)).observe(
                time.perf_counter() - started
            )

    endpoint.__name__ = route.handler.__name__
    return endpoint


async def _parse_body(request: web.Request, model: type[BaseModel] | None) -> Any:
    if model is None:
        return NoBody()
    # No body is an empty object: a body whose fields are all optional may be left out.
    raw = await request.read() or b"{}"
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadRequest("请求体不是合法的 JSON") from exc
        raise InvalidPayload.from_validation(exc) from exc


def _parse_query(request: web.Request, model: type[BaseModel] | None) -> Any:
    if model is None:
        return NoBody()
    try:
        # Query strings are text: lax mode converts "5" to 5; extra keys are still refused.
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise InvalidPayload.from_validation(exc) from exc
