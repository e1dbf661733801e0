"""Queueing errors, each with a stable code."""

from __future__ import annotations

from hub.errors import Forbidden, HubError, InvalidPayload, NotFound, RateLimited


class HallNotFound(NotFound):
    code = "HALL_NOT_FOUND"
    default_message = "大厅不存在"


class ServiceNotFound(NotFound):
    code = "SERVICE_NOT_FOUND"
    default_message = "事项不存在"


class CounterNotFound(NotFound):
    code = "COUNTER_NOT_FOUND"
    default_message = "窗口不存在"


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"
    default_message = "号票不存在"


class InvalidHallSetup(HubError):
    code = "INVALID_HALL_SETUP"
    status = 422
    default_message = "大厅配置有误"


class Conflict(HubError):
    status = 409


class ServiceClosed(Conflict):
    code = "SERVICE_CLOSED"
    default_message = "该事项当前不在办理时间"


class DailyCapReached(Conflict):
    code = "DAILY_CAP_REACHED"
    default_message = "该事项今日号源已取完"


class PersonLimitReached(Conflict):
    code = "PERSON_LIMIT_REACHED"
    default_message = "您今天取该事项的号已达上限"


class PersonRefused(Forbidden):
    code = "PERSON_REFUSED"
    default_message = "您暂时不能取号"


class InvalidIdNumber(InvalidPayload):
    code = "INVALID_ID_NUMBER"
    default_message = "身份证号码有误"


class InvalidPhone(InvalidPayload):
    code = "INVALID_PHONE"
    default_message = "手机号码有误"


class ChannelNotAllowed(Forbidden):
    code = "CHANNEL_NOT_ALLOWED"
    default_message = "该身份不能通过此渠道取号"


class CounterClosed(Conflict):
    code = "COUNTER_CLOSED"
    default_message = "窗口尚未开窗，请先开窗"


class CounterPaused(Conflict):
    code = "COUNTER_PAUSED"
    default_message = "窗口已暂停，请先恢复"


class CounterBusy(Conflict):
    code = "COUNTER_BUSY"
    default_message = "窗口正在办理一个号，请先办结"


class CounterTaken(Conflict):
    code = "COUNTER_TAKEN"
    default_message = "该窗口已由其他工作人员开窗"


class NotYourCounter(Forbidden):
    code = "NOT_YOUR_COUNTER"
    default_message = "该窗口不是您开的窗"


class NoCurrentTicket(Conflict):
    code = "NO_CURRENT_TICKET"
    default_message = "窗口当前没有在办理的号"


class NoTicketWaiting(Conflict):
    code = "NO_TICKET_WAITING"
    default_message = "当前没有等候的号"


class TicketNotCallable(Conflict):
    code = "TICKET_NOT_CALLABLE"
    default_message = "该号不能被叫"


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"
    default_message = "该号当前状态不允许此操作"


class TooFewCalls(Conflict):
    code = "TOO_FEW_CALLS"
    default_message = "叫号次数不足，暂不能记为过号"


class ConcurrentChange(Conflict):
    code = "CONCURRENT_CHANGE"
    default_message = "数据已被他人修改，请刷新后重试"


class RequeueLimitReached(Conflict):
    """A no-show ticket may go back into the queue only as often as the hall's policy says
    (`details.limit`; 0: never)."""

    code = "REQUEUE_LIMIT_REACHED"
    default_message = "该号不能再次排队，请重新取号"


# -- 码上取号 without an account ------------------------------------------------------------


class PhoneCodeInvalid(HubError):
    code = "PHONE_CODE_INVALID"
    status = 422
    default_message = "验证码不正确，请核对短信中的验证码"


class PhoneCodeExpired(HubError):
    code = "PHONE_CODE_EXPIRED"
    status = 422
    default_message = "验证码已过期或已失效，请重新获取"


class SmsUnavailable(Conflict):
    code = "SMS_UNAVAILABLE"
    default_message = "暂时无法发送短信验证码，请直接取号或到取号机取号"


class WalkInLimited(RateLimited):
    """A walk-in past a limit of their address or phone (the code stays RATE_LIMITED; `details`
    say which limit and in how many seconds to try again)."""

    default_message = "操作过于频繁，请稍后再试"
