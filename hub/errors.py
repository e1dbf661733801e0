"""Errors with stable codes. Every domain's errors derive from HubError.

The code is what clients branch on; the message is for people (Chinese first);
`status` is the HTTP status REST answers use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError


class HubError(Exception):
    code: ClassVar[str] = "INTERNAL"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "服务器内部错误"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_dict(self, ctx: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "ctx": ctx}
        if self.details:
            error["details"] = self.details
        return error


class BadRequest(HubError):
    code = "BAD_REQUEST"
    status = 400
    default_message = "请求格式错误"


class InvalidPayload(HubError):
    code = "INVALID_PAYLOAD"
    status = 422
    default_message = "请求内容不符合要求"

    @classmethod
    def from_validation(cls, exc: ValidationError, *, where: str = "") -> InvalidPayload:
        """Which fields are wrong and why, in Chinese; never echoes the input (it may be
        personal data). `where` prefixes each field's location (`path` for path parameters)."""
        errors = []
        for e in exc.errors(include_url=False, include_input=False):
            context = {k: v for k, v in (e.get("ctx") or {}).items() if k != "error"}
            template = _VALIDATION_MESSAGES.get(e["type"])
            try:
                msg = template.format(**context) if template else e["msg"]
            except (KeyError, IndexError):
                msg = e["msg"]
            errors.append(
                {
                    "loc": ".".join(str(x) for x in (where, *e["loc"]) if x != ""),
                    "msg": msg,
                    "type": e["type"],
                    **({"ctx": context} if context else {}),
                }
            )
        first = errors[0] if errors else {"loc": "", "msg": ""}
        where = f"{first['loc']}：" if first["loc"] else ""
        return cls(f"参数错误：{where}{first['msg']}", errors=errors)


# pydantic error types, said in Chinese ({…} from the error's context).
_VALIDATION_MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为是或否",
    "bool_parsing": "应为是或否",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为列表",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "最多 {max_length} 个字",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不正确",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "datetime_type": "时间格式不正确",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "date_parsing": "日期格式不正确",
    "date_type": "日期格式不正确",
    "date_range": "日期应在 {earliest} 至 {latest} 之间",
    "timezone_aware": "时间应带时区",
    "time_parsing": "时间格式不正确",
    "time_type": "时间格式不正确",
    "json_invalid": "不是合法的 JSON",
    "value_error": "取值无效",
}


class PayloadTooLarge(HubError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    default_message = "请求内容过大"


class UnknownCommand(HubError):
    code = "UNKNOWN_COMMAND"
    status = 404
    default_message = "未知的命令"


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"
    status = 401
    default_message = "请先登录"


class TokenExpired(Unauthenticated):
    code = "TOKEN_EXPIRED"
    default_message = "登录已过期，请重新登录"


class TokenInvalid(Unauthenticated):
    code = "TOKEN_INVALID"
    default_message = "令牌无效"


class BadCredentials(Unauthenticated):
    code = "BAD_CREDENTIALS"
    default_message = "用户名或密码错误"


class InvalidNamespace(HubError):
    code = "INVALID_NAMESPACE"
    status = 404
    default_message = "未知的命名空间：只能连接 /"


class RateLimited(HubError):
    code = "RATE_LIMITED"
    status = 429
    default_message = "操作过于频繁，请稍后再试"


class Forbidden(HubError):
    code = "FORBIDDEN"
    status = 403
    default_message = "没有权限"


class TopicForbidden(Forbidden):
    code = "TOPIC_FORBIDDEN"
    default_message = "没有权限订阅该主题"


class InvalidTopic(HubError):
    code = "INVALID_TOPIC"
    status = 422
    default_message = "主题格式错误"


class NotFound(HubError):
    code = "NOT_FOUND"
    status = 404
    default_message = "资源不存在"


class ResyncRequired(HubError):
    code = "RESYNC_REQUIRED"
    status = 409
    default_message = "错过的事件已不再保留，请重新加载"


class Unavailable(HubError):
    code = "UNAVAILABLE"
    status = 503
    default_message = "服务暂不可用"


class StoreUnavailable(Unavailable):
    """MongoDB does not answer (restarting, unreachable, hung): the command may be sent again
    (a create with its request id; a two-document change is completed by the sweepers)."""

    code = "STORE_UNAVAILABLE"
    default_message = "数据存储暂时无法访问，请稍后重试"


class EventLogUnavailable(Unavailable):
    """Redis (the shared event log) does not answer: what was stored stands, its events go
    out from the outbox when Redis is back."""

    code = "EVENT_LOG_UNAVAILABLE"
    default_message = "实时消息服务暂时无法访问，请稍后重试"


class ShuttingDown(Unavailable):
    """This node is stopping: the command was not run; send it again (it reaches another
    node once the client has reconnected)."""

    code = "NODE_SHUTTING_DOWN"
    default_message = "服务节点正在重启，请稍后重试"


class RequestInProgress(HubError):
    """A request with this idempotency key is still being handled (by this node or one that
    may have died): ask again in a moment for its answer."""

    code = "REQUEST_IN_PROGRESS"
    status = 409
    default_message = "上一次提交仍在处理中，请稍后重试"


class IdempotencyConflict(HubError):
    """An idempotency key sent again with a different request."""

    code = "IDEMPOTENCY_CONFLICT"
    status = 409
    default_message = "该幂等键已用于另一个不同的请求"
