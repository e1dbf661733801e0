"""Templates, checked before they are used: a new version is saved only if every variable it
reads is in the data of an event its kind's rules listen to (the events' JSON Schemas, from
their models; plus `topic`, which every rule's data has), and if it renders with the kind's
sample (syntax, an SMS's length, an e-mail's subject). A kind no rule with a typed event uses
(one only the API sends) is checked against its sample alone."""

from __future__ import annotations

from typing import Any

from hub.events.types import UnknownEventType, model_of
from notifier import domain
from notifier.errors import TemplateError, TemplateVariableUnknown
from notifier.models import Channel, Template, TemplateIn
from notifier.service.core import Core
from notifier.service.rules import Rules

# What on_event adds to every event's data before the rules use it.
TOPIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"topic": {"type": "string"}},
    "additionalProperties": False,
}
SAVE_TRIES = 5


class Templates:
    def __init__(self, core: Core, rules: Rules) -> None:
        self._core = core
        self._store = core.store
        self._rules = rules

    async def listed(self) -> list[Template]:
        return await self._store.templates()

    async def versions(self, kind: str, channel: Channel, locale: str) -> list[Template]:
        return await self._store.template_versions(kind, channel, locale)

    async def events_of(self, kind: str) -> dict[str, dict[str, Any]]:
        """The JSON Schema of each event type the kind's rules listen to (types with no model
        yet are left out: nothing is known of their data)."""
        schemas: dict[str, dict[str, Any]] = {}
        for rule in await self._rules.using(kind):
            try:
                model = model_of(rule.event_type)
            except UnknownEventType:
                continue
            schemas[rule.event_type] = model.model_json_schema(mode="serialization")
        return schemas

    async def preview(
        self, template: TemplateIn, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        kind = await self._core.kind(template.kind)
        parts = {"subject": template.subject, "text": template.text, "html": template.html}
        await self._check_variables(template.kind, parts)
        sample = data if data is not None else kind.sample
        problems = domain.template_problems(template.channel, parts, sample)
        if problems:
            raise TemplateError("；".join(problems), problems=problems)
        rendered = domain.render(self._made(template, 1, ""), sample)
        return {"rendered": rendered.model_dump(), "data": sample}

    async def save(self, template: TemplateIn, by: str, by_name: str = "") -> Template:
        """A new version, checked first (see the module)."""
        await self.preview(template)
        for _ in range(SAVE_TRIES):
            versions = await self._store.template_versions(
                template.kind, template.channel, template.locale
            )
            saved = self._made(template, (versions[0].version if versions else 0) + 1, by, by_name)
            if await self._store.add_template(saved):
                self._core.config.forget()
                return saved
        raise TemplateError("模板正被他人同时修改，请重试")

    async def _check_variables(self, kind: str, parts: dict[str, str]) -> None:
        events = await self.events_of(kind)
        if not events:
            return
        schemas = [TOPIC_SCHEMA, *events.values()]
        problems: list[str] = []
        unknown: list[str] = []
        for name, source in parts.items():
            if not source:
                continue
            try:
                missing = domain.unknown_paths(domain.template_paths(source), schemas)
            except TemplateError:
                continue  # a syntax error: the sample's check says where
            if missing:
                problems.append(f"{name}：事件中没有变量 {', '.join(missing)}")
                unknown += missing
        if problems:
            types = "、".join(events)
            raise TemplateVariableUnknown(
                f"模板使用了事件中没有的变量：{', '.join(dict.fromkeys(unknown))}"
                f"（此类消息由 {types} 事件产生）",
                problems=problems,
                variables=list(dict.fromkeys(unknown)),
                events=list(events),
            )

    def _made(self, template: TemplateIn, version: int, by: str, by_name: str = "") -> Template:
        return Template(
            id=f"{template.kind}/{template.channel.value}/{template.locale}/v{version}",
            kind=template.kind,
            channel=template.channel,
            locale=template.locale,
            version=version,
            subject=template.subject,
            text=template.text,
            html=template.html,
            created_at=self._core.now(),
            created_by=by,
            created_by_name=by_name,
        )
