"""The access rows: roles, reach (any, own hall, own), public rows, scoped tokens. Pure."""

from __future__ import annotations

import pytest

from hub.access import AccessTable, Reach, Scope, grant, public
from hub.auth.models import Principal, Role
from hub.auth.tokens import TokenIssuer
from hub.errors import Forbidden, TokenInvalid

ROW = grant(admin=Reach.ANY, supervisor=Reach.HALL, citizen=Reach.OWN, ticket=Reach.OWN)
TICKET_1 = Scope.of("a", "citizen:c1", "ticket:t1")


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (Principal("root", Role.ADMIN), True),
        (Principal("root", Role.ADMIN, hall="b"), True),
        (Principal("sup", Role.SUPERVISOR, hall="a"), True),
        (Principal("sup", Role.SUPERVISOR, hall="b"), False),
        (Principal("city", Role.SUPERVISOR), True),  # bound to no hall: every hall
        (Principal("c1", Role.CITIZEN), True),
        (Principal("c2", Role.CITIZEN), False),
        (Principal("ticket-t1", Role.TICKET, ticket="t1"), True),
        (Principal("ticket-t2", Role.TICKET, ticket="t2"), False),
        (Principal("clerk", Role.STAFF, hall="a"), False),  # a role the row does not name
        (Principal("screen", Role.DISPLAY, hall="a"), False),
    ],
)
def test_reach(principal: Principal, allowed: bool) -> None:
    assert ROW.allows(principal, TICKET_1) is allowed
    if allowed:
        ROW.require(principal, TICKET_1)
    else:
        with pytest.raises(Forbidden) as refused:
            ROW.require(principal, TICKET_1)
        assert refused.value.code == "FORBIDDEN"


def test_may_try_is_the_role_check_alone() -> None:
    assert ROW.may_try(Principal("sup", Role.SUPERVISOR, hall="b"))
    assert not ROW.may_try(Principal("clerk", Role.STAFF, hall="a"))
    assert not ROW.may_try(None)
    assert public().may_try(None)
    assert public().allows(Principal("screen", Role.DISPLAY, hall="a"), Scope())


def test_require_hall_refuses_only_a_hall_bound_reach_into_another_hall() -> None:
    ROW.require_hall(Principal("sup", Role.SUPERVISOR, hall="a"), "a")
    ROW.require_hall(Principal("root", Role.ADMIN, hall="a"), "b")
    ROW.require_hall(Principal("c1", Role.CITIZEN), "b")  # decided once the booking is found
    with pytest.raises(Forbidden):
        ROW.require_hall(Principal("sup", Role.SUPERVISOR, hall="a"), "b")


def test_principal_keys_name_people_as_the_message_center_does() -> None:
    assert Principal("c1", Role.CITIZEN).key == "citizen:c1"
    assert Principal("clerk", Role.STAFF).key == "user:clerk"
    assert Principal("ticket-t1", Role.TICKET, ticket="t1").key == "ticket:t1"
    assert Principal("screen", Role.DISPLAY, hall="a").key == "device:screen"


def test_a_follow_token_is_a_ticket_token_whatever_role_it_names() -> None:
    issuer = TokenIssuer("s" * 40, 3600)
    token, _ = issuer.issue("ticket-t1", Role.TICKET, ticket="t1")
    assert issuer.verify(token).role is Role.TICKET
    # Tokens printed before the TICKET role named "citizen" with a ticket claim.
    import jwt

    old = jwt.encode(
        {
            "iss": "hallhub",
            "sub": "ticket-t1",
            "role": "citizen",
            "ticket": "t1",
            "iat": 0,
            "exp": 2**40,
        },
        "s" * 40,
        algorithm="HS256",
    )
    principal = issuer.verify(old)
    assert (principal.role, principal.ticket, principal.key) == (Role.TICKET, "t1", "ticket:t1")
    stray = jwt.encode(
        {"iss": "hallhub", "sub": "x", "role": "ticket", "iat": 0, "exp": 2**40},
        "s" * 40,
        algorithm="HS256",
    )
    with pytest.raises(TokenInvalid):
        issuer.verify(stray)


def test_the_table_knows_every_command_route_and_topic_and_nothing_else() -> None:
    table = AccessTable()
    table.add("a", {"x.do": ROW, "GET /x": ROW})
    with pytest.raises(ValueError, match="twice"):
        table.add("b", {"x.do": ROW})
    table.check_complete(["x.do", "GET /x"])
    with pytest.raises(ValueError, match=r"no row for \['x.new'\]"):
        table.check_complete(["x.do", "GET /x", "x.new"])
    with pytest.raises(ValueError, match=r"rows for nothing: \['GET /x'\]"):
        table.check_complete(["x.do"])
