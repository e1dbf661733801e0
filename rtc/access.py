"""Who may do what in video customer service.

A consultation is its citizen's and its agent's (the agent it is offered to, then the agent who
took it); the video service's supervisors see every call, the line and the recordings, and may
listen in without speaking. An agent sets only their own status and skills.
"""

from __future__ import annotations

from hub.access import Grant, Reach, Scope, every, grant, topic_key
from hub.auth.models import BACK_OFFICE
from rtc.models import Session

ANY, OWN = Reach.ANY, Reach.OWN

PARTIES = grant(citizen=ANY, agent=ANY, admin=ANY, supervisor=ANY)
REQUEST = grant(citizen=ANY)
MINE = grant(citizen=ANY, note="always the caller's own")
READ_SESSION = grant(citizen=OWN, agent=OWN, admin=ANY, supervisor=ANY)
IN_CALL = grant(citizen=OWN, agent=OWN)
CITIZEN_OF = grant(citizen=OWN)
AGENT_SELF = grant(agent=ANY, note="the agent's own status and skills")
AGENT_OF = grant(agent=OWN)  # accept and decline: offered to them; wrap-up, transfer: their call
# Supervisors signal only on a monitor link of their own (listening in, never speaking).
SIGNAL = grant(citizen=OWN, agent=OWN, admin=ANY, supervisor=ANY)
LINE = grant(agent=ANY, admin=ANY, supervisor=ANY)
SUPERVISE = every(BACK_OFFICE, ANY)
ADMINISTER = grant(admin=ANY)

QUEUE_TOPIC_KEY = topic_key("rtc", "queue")
SESSION_TOPIC_KEY = topic_key("rtc", "{session_id}")

TABLE: dict[str, Grant] = {
    "GET /rtc/ice-servers": PARTIES,
    "GET /rtc/topics": PARTIES,
    "PUT /rtc/topics/{topic_id}": ADMINISTER,
    "POST /rtc/sessions": REQUEST,
    "rtc.request": REQUEST,
    "GET /rtc/sessions/mine": MINE,
    "GET /rtc/sessions/{session_id}": READ_SESSION,
    "GET /rtc/images/{image_id}": READ_SESSION,
    "POST /rtc/sessions/{session_id}/leave": IN_CALL,
    "rtc.leave": IN_CALL,
    "rtc.hang_up": IN_CALL,
    "rtc.quality": IN_CALL,
    "rtc.chat": IN_CALL,
    "POST /rtc/sessions/{session_id}/images": IN_CALL,
    "POST /rtc/sessions/{session_id}/callback": CITIZEN_OF,
    "rtc.callback": CITIZEN_OF,
    "POST /rtc/sessions/{session_id}/rating": CITIZEN_OF,
    "rtc.rate": CITIZEN_OF,
    "rtc.agent_hello": AGENT_SELF,
    "rtc.set_status": AGENT_SELF,
    "rtc.set_skills": AGENT_SELF,
    "rtc.accept": AGENT_OF,
    "rtc.decline": AGENT_OF,
    "rtc.wrap_up": AGENT_OF,
    "rtc.transfer": AGENT_OF,
    "rtc.signal": SIGNAL,
    "GET /rtc/overview": LINE,
    "GET /rtc/sessions": SUPERVISE,
    "GET /rtc/sessions/{session_id}/recording": SUPERVISE,
    "GET /rtc/stats": SUPERVISE,
    QUEUE_TOPIC_KEY: LINE,
    SESSION_TOPIC_KEY: READ_SESSION,
    topic_key("agent"): grant(agent=OWN),
}


def of_session(session: Session) -> Scope:
    """A consultation's parties: its citizen, the agent in the call and the agent offered it."""
    return Scope.of(
        None,
        f"citizen:{session.citizen_id}",
        f"user:{session.agent_id}" if session.agent_id else None,
        f"user:{session.offered_to}" if session.offered_to else None,
    )


def of_offer(session: Session) -> Scope:
    """The agents a consultation is or was offered to, and the one who took it (one who let it
    ring is told it moved on, one who clicks twice that it is theirs: neither is a stranger)."""
    agents = [session.offered_to, session.agent_id, *session.declined]
    return Scope.of(None, *(f"user:{a}" for a in agents if a))


def of_agent(agent_id: str) -> Scope:
    return Scope.of(None, f"user:{agent_id}")


def topic_row(ident: str) -> str:
    """`rtc:queue` is the line; `rtc:<session>` one consultation."""
    return QUEUE_TOPIC_KEY if ident == "queue" else SESSION_TOPIC_KEY
