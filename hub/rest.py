"""REST under /api/v1: declared routes with typed bodies, query strings and path parameters,
role checks, problem+json errors (RFC 9457) and an OpenAPI 3.1 document built from the same
declarations."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError, create_model
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from pydantic_core import PydanticUndefined, to_jsonable_python

from hub.access import AccessTable, Grant, route_key
from hub.auth.models import Principal
from hub.auth.tokens import TokenIssuer
from hub.context import new_ctx
from hub.errors import (
    BadRequest,
    Forbidden,
    HubError,
    InvalidPayload,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
)
from hub.logs import get_logger
from hub.metrics import HubMetrics
from hub.outages import as_outage, note_outage

log = get_logger("hub.rest")

PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
ERROR_DOCS = "https://hallhub.dev/errors/"

B = TypeVar("B", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)
M = TypeVar("M", bound=BaseModel)


class NoBody(BaseModel):
    pass


@dataclass(frozen=True, slots=True)
class Request(Generic[B, Q]):
    http: web.Request
    principal: Principal | None
    body: B
    query: Q
    ctx: str
    # The route's `params` model, validated from the path (NoBody when it declares none).
    params: Any = None

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
    params: type[BaseModel] | None = None
    # What a success answers: JSON (`response`'s schema), or files of these media types.
    media_types: tuple[str, ...] = (JSON,)
    # Media types of a raw (non-JSON) request body, such as an uploaded picture.
    uploads: tuple[str, ...] = ()

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
        params: type[BaseModel] | None = None,
        media_types: tuple[str, ...] = (JSON,),
        uploads: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """`params` validates the path parameters (an enum, a bounded text) before the handler
        runs, so a bad one is INVALID_PAYLOAD, never a crash; the handler reads `req.params`."""

        def register(handler: Handler) -> Handler:
            if params is not None and set(params.model_fields) != set(_path_params(path)):
                raise ValueError(f"{path}: params {params.__name__} must name its parameters")
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
                    params,
                    media_types,
                    uploads,
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
        """The document, true to the wire: field names as the API speaks them (`id`, not the
        storage alias `_id`), every model once under components/schemas (names made unique
        by pydantic when two domains use the same one), and every `$ref` resolving there."""
        wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
        for route in self.routes:
            for model in (route.body, route.query, route.params):
                if model is not None:
                    wanted[(model, "validation")] = None
            response = _response_model(route.response)
            if response is not None:
                wanted[(response, "serialization")] = None
        refs, top = models_json_schema(
            list(wanted), by_alias=False, ref_template="#/components/schemas/{model}"
        )
        schemas: dict[str, Any] = top.get("$defs", {})

        def properties(model: type[BaseModel]) -> dict[str, Any]:
            name = refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]
            found: dict[str, Any] = schemas[name]["properties"]
            return found

        def response_schema(response: Any) -> dict[str, Any]:
            model = _response_model(response)
            if model is None:
                return {}  # an ad-hoc dict: no promise beyond JSON
            ref = refs[(model, "serialization")]
            return {"type": "array", "items": ref} if model is not response else ref

        problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        paths: dict[str, dict[str, Any]] = {}
        for route in self.routes:
            content: dict[str, Any] = {
                media: {"schema": response_schema(route.response)} if media == JSON else {}
                for media in route.media_types
            }
            op: dict[str, Any] = {
                "summary": route.summary,
                "tags": [route.tag],
                "operationId": route.handler.__name__,
                "responses": {
                    str(route.status): {"description": "OK", "content": content},
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
                    "content": {JSON: {"schema": refs[(route.body, "validation")]}},
                }
            elif route.uploads:
                op["requestBody"] = {
                    "required": True,
                    "content": {media: {} for media in route.uploads},
                }
            declared = properties(route.params) if route.params is not None else {}
            params = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": declared.get(name, {"type": "string"}),
                }
                for name in _path_params(route.path)
            ]
            if route.query is not None:
                query = properties(route.query)
                for name, field in route.query.model_fields.items():
                    params.append(
                        {
                            "name": name,
                            "in": "query",
                            "required": field.is_required(),
                            "schema": query[name],
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
                "details": {"type": "object"},
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


def _response_model(response: Any) -> type[BaseModel] | None:
    """The model a route answers with, or the model of the list it answers with."""
    if getattr(response, "__origin__", None) is list:
        response = response.__args__[0]
    if isinstance(response, type) and issubclass(response, BaseModel):
        return response
    return None


def compose(model: type[M], /, **fields: Any) -> M:
    """An input put together from a request's parts (a path parameter and the body's fields):
    a part that breaks the input's rules is the caller's INVALID_PAYLOAD, never a crash."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise InvalidPayload.from_validation(exc) from exc


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
    headers = {"X-Request-Id": ctx}
    retry_after = exc.details.get("retry_after_seconds")
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    return web.Response(
        status=exc.status, text=_dumps(body), content_type=PROBLEM_JSON, headers=headers
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
            params = _parse_params(request, route.params)
            body = await _parse_body(request, route.body)
            query = _parse_query(request, route.query)
            result = await route.handler(Request(request, principal, body, query, ctx, params))
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
        except Exception as exc:
            outage = as_outage(exc)
            if outage is not None:
                status = outage.status
                note_outage(outage, exc, request.path)
                return problem(outage, ctx)
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
    try:
        raw = await request.read() or b"{}"
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(limit=request.client_max_size) from exc
    try:
        # By field name, as answers and the OpenAPI document spell it (`id`, never `_id`).
        return model.model_validate_json(raw, strict=True, by_alias=False, by_name=True)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadRequest("请求体不是合法的 JSON") from exc
        raise InvalidPayload.from_validation(exc) from exc


def _parse_query(request: web.Request, model: type[BaseModel] | None) -> Any:
    if model is None:
        return NoBody()
    repeated = sorted({key for key in request.query if len(request.query.getall(key)) > 1})
    if repeated:  # every query field is one value: a second one is refused, not dropped
        raise InvalidPayload(
            f"参数错误：{repeated[0]}：只能给一次",
            errors=[{"loc": key, "msg": "只能给一次", "type": "repeated"} for key in repeated],
        )
    try:
        # Query strings are text: lax mode converts "5" to 5; extra keys are still refused.
        return model.model_validate(dict(request.query), by_alias=False, by_name=True)
    except ValidationError as exc:
        raise InvalidPayload.from_validation(exc) from exc


def _parse_params(request: web.Request, model: type[BaseModel] | None) -> Any:
    if model is None:
        return NoBody()
    try:
        return model.model_validate(dict(request.match_info), by_alias=False, by_name=True)
    except ValidationError as exc:
        raise InvalidPayload.from_validation(exc, where="path") from exc
