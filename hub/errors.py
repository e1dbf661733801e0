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
    def from_validation(cls, exc: ValidationError) -> InvalidPayload:
        """Which fields are wrong and why; never echoes the input (it may be personal data)."""
        errors = [
            {"loc": ".".join(str(x) for x in e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        first = errors[0] if errors else {"loc": "", "msg": ""}
        return cls(f"参数错误：{first['loc']} {first['msg']}", errors=errors)


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
