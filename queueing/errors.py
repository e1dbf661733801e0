from __future__ import annotations

from hub.errors import HubError, NotFound


class HallNotFound(NotFound):
    code = "HALL_NOT_FOUND"
    default_message = "大厅不存在"


class InvalidHallSetup(HubError):
    code = "INVALID_HALL_SETUP"
    status = 422
    default_message = "大厅配置有误"
