"""Video customer service errors, each with a stable code."""

from __future__ import annotations

from hub.errors import Forbidden, HubError, InvalidPayload, NotFound


class Conflict(HubError):
    status = 409


class TopicNotFound(NotFound):
    code = "TOPIC_NOT_FOUND"
    default_message = "咨询主题不存在"


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"
    default_message = "会话不存在"


class AgentNotFound(NotFound):
    code = "AGENT_NOT_FOUND"
    default_message = "坐席不存在"


class SessionForbidden(Forbidden):
    code = "SESSION_FORBIDDEN"
    default_message = "您不是此会话的参与者"


class AlreadyWaiting(Conflict):
    code = "ALREADY_WAITING"
    default_message = "您已在排队或通话中"


class NotOffered(Conflict):
    code = "NOT_OFFERED"
    default_message = "此来电未分配给您"


class OfferExpired(Conflict):
    code = "OFFER_EXPIRED"
    default_message = "来电已超时转给其他坐席"


class NotInCall(Conflict):
    code = "NOT_IN_CALL"
    default_message = "会话不在通话中"


class AgentBusy(Conflict):
    code = "AGENT_BUSY"
    default_message = "坐席正在通话中"


class TransferTarget(InvalidPayload):
    code = "TRANSFER_TARGET_INVALID"
    default_message = "请指定转接的坐席或主题"


class NotRated(Conflict):
    code = "RATING_NOT_ALLOWED"
    default_message = "通话结束后才能评价，且只能评价一次"


class ImageInvalid(InvalidPayload):
    code = "IMAGE_INVALID"
    default_message = "只能发送 JPEG、PNG、GIF 或 WebP 图片"


class ImageTooLarge(HubError):
    code = "IMAGE_TOO_LARGE"
    status = 413
    default_message = "图片不能超过 5 MB"


class RecorderBusy(Conflict):
    code = "RECORDER_BUSY"
    default_message = "录制资源已满"
