"""Appointment-center errors, each with a stable code."""

from __future__ import annotations

from hub.errors import Forbidden, HubError, InvalidPayload, NotFound


class Conflict(HubError):
    status = 409


class PlanNotFound(NotFound):
    code = "BOOKING_PLAN_NOT_FOUND"
    default_message = "该事项不接受预约"


class AppointmentNotFound(NotFound):
    code = "APPOINTMENT_NOT_FOUND"
    default_message = "预约不存在"


class NoSuchSlot(InvalidPayload):
    code = "NO_SUCH_SLOT"
    default_message = "没有这个预约时段"


class SlotInPast(Conflict):
    code = "SLOT_IN_PAST"
    default_message = "该时段已过或即将开始，不能再预约"


class ClosedDay(Conflict):
    code = "CLOSED_DAY"
    default_message = "该日不办理预约"


class BeyondHorizon(Conflict):
    code = "BEYOND_HORIZON"
    default_message = "超出可预约的日期范围"


class NotOpenYet(Conflict):
    code = "NOT_OPEN_YET"
    default_message = "该日号源尚未发放"


class SlotFull(Conflict):
    code = "SLOT_FULL"
    default_message = "该时段已约满"


class AlreadyBooked(Conflict):
    code = "ALREADY_BOOKED"
    default_message = "您当天已预约该事项"


class SameMatterLimit(Conflict):
    code = "SAME_MATTER_LIMIT"
    default_message = "同一事项一天内预约次数过多"


class Blacklisted(Forbidden):
    code = "BLACKLISTED"
    default_message = "您的预约资格已暂停"


class NotCancellable(Conflict):
    code = "NOT_CANCELLABLE"
    default_message = "该预约不能取消或更改"


class CancelTooLate(Conflict):
    code = "CANCEL_TOO_LATE"
    default_message = "已过取消截止时间"


class TooEarly(Conflict):
    code = "CHECK_IN_TOO_EARLY"
    default_message = "还未到签到时间"


class TooLate(Conflict):
    code = "CHECK_IN_TOO_LATE"
    default_message = "已超过签到时间"


class NotToday(Conflict):
    code = "NOT_TODAY"
    default_message = "预约不是今天的"


class WrongHall(Conflict):
    code = "WRONG_HALL"
    default_message = "预约的不是本大厅"


class HallCodeInvalid(InvalidPayload):
    code = "HALL_CODE_INVALID"
    default_message = "大厅二维码无效，请扫描大厅内张贴的签到码"


class InvalidIdNumber(InvalidPayload):
    code = "INVALID_ID_NUMBER"
    default_message = "身份证号码有误"


class NotBlacklisted(NotFound):
    code = "NOT_BLACKLISTED"
    default_message = "此人不在暂停名单中"


class InvalidPlan(InvalidPayload):
    code = "INVALID_BOOKING_PLAN"
    default_message = "预约设置有误"
