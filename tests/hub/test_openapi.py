"""The OpenAPI document is true: a valid OpenAPI 3.1 document whose every `$ref` resolves, and
which names fields as the API sends and takes them (`id`, never the storage alias `_id`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import schemathesis

from hub.auth.models import Role
from queueing.api import HALLS
from tests.queueing.factories import setup
from tests.support import RunningHub


async def _get(hub: RunningHub, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(hub.url + path, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.json()


def _refs(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, f"{where}/{index}")


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), ref
        assert part in node, ref
        node = node[part]
    return node


async def test_the_document_is_valid_openapi_3_1_and_every_ref_resolves(
    memory_hub: RunningHub,
) -> None:
    document = await _get(memory_hub, "/api/v1/openapi.json")
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()  # against the OpenAPI 3.1 schema
    refs = list(_refs(document))
    assert refs
    for where, ref in refs:
        assert ref.startswith("#/components/schemas/"), (where, ref)
        _resolve(document, ref)


async def test_fields_are_named_as_the_api_speaks(memory_hub: RunningHub) -> None:
    document = await _get(memory_hub, "/api/v1/openapi.json")
    schemas = document["components"]["schemas"]
    for name in ("Hall", "Service", "Counter"):
        assert "id" in schemas[name]["properties"], name
    assert '"_id"' not in str(document).replace("'", '"')
    # What a hall's answer holds is what the document says it holds.
    await memory_hub.app[HALLS].apply_setup(setup("h1"))
    detail = await _get(memory_hub, "/api/v1/halls/h1", memory_hub.token(Role.ADMIN))
    hall_detail = _resolve(document, "#/components/schemas/HallDetail")
    assert set(detail) <= set(hall_detail["properties"])
    assert set(detail["hall"]) <= set(schemas["Hall"]["properties"])
    for service in detail["services"]:
        assert set(service) <= set(schemas["Service"]["properties"])
    operation = document["paths"]["/api/v1/halls/{hall_id}"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/HallDetail"}


async def test_bodies_take_the_names_the_document_gives(memory_hub: RunningHub) -> None:
    """A PUT takes `id`, as documented; the storage alias `_id` is an unknown field."""
    await memory_hub.app[HALLS].apply_setup(setup("h1"))
    token = memory_hub.token(Role.ADMIN)
    service = {"hall_id": "h1", "name": "户籍", "prefix": "A"}
    async with aiohttp.ClientSession() as http:
        for key, status in (("id", 200), ("_id", 422)):
            async with http.put(
                memory_hub.url + "/api/v1/halls/h1/services/s1",
                json={key: "s1", **service},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == status, (key, await response.text())


async def test_files_and_uploads_are_documented_with_their_media_types(
    memory_hub: RunningHub,
) -> None:
    document = await _get(memory_hub, "/api/v1/openapi.json")
    paths = document["paths"]
    stats = paths["/api/v1/halls/{hall_id}/stats"]["get"]["responses"]["200"]["content"]
    assert set(stats) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    picture = paths["/api/v1/rtc/images/{image_id}"]["get"]["responses"]["200"]["content"]
    assert "application/json" not in picture
    upload = paths["/api/v1/rtc/sessions/{session_id}/images"]["post"]["requestBody"]
    assert "image/png" in upload["content"]
    channel = next(
        p
        for p in paths["/api/v1/notifier/templates/{kind}/{channel}/{locale}"]["get"]["parameters"]
        if p["name"] == "channel"
    )
    enum = _resolve(document, channel["schema"]["$ref"])["enum"]
    assert set(enum) == {"in_app", "sms", "email"}
