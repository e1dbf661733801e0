"""Schemathesis over the running hub's own OpenAPI document: every operation, with data that
fits the document and data that does not, as an admin and as a citizen. No answer may be a
server error, and every answer must be what the document says (status, media type, schema)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from hub import keys
from hub.auth.models import Role
from queueing.api import HALLS
from tests.queueing.factories import setup
from tests.support import RunningHub

# Examples per operation and pass: enough to reach every parameter, few enough that the whole
# run stays well under a minute on two cores.
EXAMPLES = 10
CITIZEN_EXAMPLES = 3

# Half of the positive cases name what the hub holds (the hall set up again before each
# operation), so they get past "not found" to the handlers' own checks; the rest are generated.
KNOWN = {
    "hall_id": "h1",
    "service_id": "s1",
    "counter_id": "w1",
    "topic": "hall:h1",
    "recipient": "citizen:c-1",
}

Operation = schemathesis.APIOperation[Any, Any, Any, Any]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Pass:
    who: str
    token: str
    mode: GenerationMode
    examples: int

    @property
    def label(self) -> str:
        return f"{self.who}/{self.mode.value}"


@dataclass
class Report:
    operations: int = 0
    examples: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            f"{self.operations} operations, {sum(self.examples.values())} examples "
            f"({dict(self.examples)}), statuses {dict(sorted(self.statuses.items()))}, "
            f"{sum(len(f) for f in self.failures.values())} failures"
        ]
        for label, found in sorted(self.failures.items()):
            lines += [f"--- {label}", *found[:2]]
        return "\n".join(lines)


def _run(base_url: str, passes: list[Pass], reset: Callable[[], None]) -> Report:
    """Synchronous (requests): runs in a worker thread while the hub serves on the loop."""
    report = Report()
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json")
    schema.validate()
    # The token is ours to send: negative cases break the request, not the credentials.
    schema.config.generation.update(with_security_parameters=False)
    with requests.Session() as session:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()
            operation = result.ok()
            report.operations += 1
            reset()
            for each in passes:
                _exercise(operation, each, session, base_url, report)
    return report


def _exercise(
    operation: Operation,
    each: Pass,
    session: requests.Session,
    base_url: str,
    report: Report,
) -> None:
    negative = each.mode is GenerationMode.NEGATIVE
    if negative and not _negatable(operation):
        return
    checks = [*CHECKS, negative_data_rejection] if negative else CHECKS
    headers = {"Authorization": f"Bearer {each.token}"}
    known = {p.name: KNOWN[p.name] for p in operation.path_parameters if p.name in KNOWN}
    runs = [(operation.as_strategy(generation_mode=each.mode), each.examples)]
    if known and not negative:
        half = each.examples // 2
        runs = [
            (operation.as_strategy(generation_mode=each.mode), each.examples - half),
            (operation.as_strategy(generation_mode=each.mode, path_parameters=known), half),
        ]
    for strategy, examples in runs:
        if examples == 0:
            continue

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def exercise(case: schemathesis.Case[Operation]) -> None:
            report.examples[each.label] += 1
            try:
                response = case.call_and_validate(
                    base_url=base_url, session=session, headers=headers, checks=checks, timeout=10
                )
                report.statuses[response.status_code] += 1
            except FailureGroup as exc:
                found = report.failures.setdefault(operation.label, [])
                found.append(f"[{each.label}] {exc}"[:3000])

        exercise()


def _negatable(operation: Operation) -> bool:
    """Whether a request can break the document: a query, a JSON body or a constrained path
    parameter (any text is a path parameter of type string, so none of those can)."""
    return (
        bool(list(operation.query))
        or any("schema" in body.definition for body in operation.body)
        or any(p.definition["schema"] != {"type": "string"} for p in operation.path_parameters)
    )


@pytest.mark.timeout(300)
async def test_every_operation_answers_as_documented(memory_hub: RunningHub) -> None:
    loop = asyncio.get_running_loop()

    def reset() -> None:
        """The hall h1 as set up, whatever the operations before did to it."""
        done = asyncio.run_coroutine_threadsafe(
            memory_hub.app[HALLS].apply_setup(setup("h1")), loop
        )
        done.result(timeout=10)

    admin = memory_hub.token(Role.ADMIN)
    citizen = memory_hub.token(Role.CITIZEN, sub="c-1")
    passes = [
        Pass("admin", admin, GenerationMode.POSITIVE, EXAMPLES),
        Pass("admin", admin, GenerationMode.NEGATIVE, EXAMPLES),
        Pass("citizen", citizen, GenerationMode.POSITIVE, CITIZEN_EXAMPLES),
    ]
    report = await asyncio.to_thread(_run, memory_hub.url, passes, reset)
    print(report.summary())
    assert report.operations == len(memory_hub.app[keys.REST].routes)
    assert report.examples["admin/positive"] >= report.operations
    assert not report.failures, report.summary()
