"""Message-center errors, each with a stable code."""

from __future__ import annotations

from hub.errors import HubError, InvalidPayload, NotFound


class TemplateError(InvalidPayload):
    code = "TEMPLATE_INVALID"
    default_message = "模板有误"


class TemplateVariableUnknown(TemplateError):
    code = "TEMPLATE_VARIABLE_UNKNOWN"
    default_message = "模板使用了事件中没有的变量"


class TemplateMissing(NotFound):
    code = "TEMPLATE_NOT_FOUND"
    default_message = "该类消息在此渠道没有模板"


class UnknownKind(NotFound):
    code = "KIND_NOT_FOUND"
    default_message = "未知的消息类型"


class UnknownRecipient(NotFound):
    code = "RECIPIENT_NOT_FOUND"
    default_message = "收件人不存在"


class InvalidAddress(InvalidPayload):
    code = "INVALID_ADDRESS"
    default_message = "收件地址有误"


class DeliveryNotFound(NotFound):
    code = "DELIVERY_NOT_FOUND"
    default_message = "投递记录不存在"


class MessageNotFound(NotFound):
    code = "MESSAGE_NOT_FOUND"
    default_message = "消息不存在"


class InboxItemNotFound(NotFound):
    code = "INBOX_ITEM_NOT_FOUND"
    default_message = "消息不存在"


class SignatureInvalid(HubError):
    code = "SIGNATURE_INVALID"
    status = 403
    default_message = "回调签名无效"


class ChannelNotConfigured(InvalidPayload):
    code = "CHANNEL_NOT_CONFIGURED"
    default_message = "此渠道未配置服务商（短信、邮件在配置文件 notifier 一节中设置）"
