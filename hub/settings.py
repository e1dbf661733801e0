"""Settings: defaults < config file (TOML or YAML) < environment (HALLHUB_*) < CLI flags."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "hallhub.toml"


class IceServer(BaseModel):
    """One STUN/TURN server handed to browsers and to the recording peer."""

    urls: list[str]
    username: str | None = None
    credential: SecretStr | None = None


class SmsProvider(BaseModel):
    """One SMS provider; a channel tries its providers in order (failover)."""

    name: str
    type: Literal["twilio", "http"]
    # twilio: the account, the sender number, and optionally another API address (a regional
    # edge, or a local endpoint speaking the same API).
    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    from_number: str = ""
    base_url: str | None = None
    # http: a domestic gateway. The body is a Jinja2 template over {to, text, request_id};
    # request_id lets the gateway drop a repeat.
    url: str = ""
    auth_header: SecretStr = SecretStr("")
    body_template: str = (
        '{"phone": "{{ to }}", "content": {{ text|tojson }}, "requestId": "{{ request_id }}"}'
    )


class EmailProvider(BaseModel):
    name: str
    host: str
    port: int = 587
    tls: Literal["none", "starttls", "implicit"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = "HallHub <noreply@hallhub.local>"
    # A CA bundle to trust (a self-signed intranet server); certificates are always checked.
    ca_file: str | None = None


class NotifierSettings(BaseModel):
    sms: list[SmsProvider] = Field(default_factory=list)
    email: list[EmailProvider] = Field(default_factory=list)
    # Run the outbox worker in this hub process (`hallhub worker` runs it on its own).
    worker: bool = True
    worker_concurrency: int = Field(8, ge=1, le=256)
    lease_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1, le=50)
    # SMS and e-mails to one recipient in an hour; more wait for the next hour.
    rate_limit_per_hour: int = Field(10, ge=1)


class RtcSettings(BaseModel):
    # Calls recorded at once on this node (two parties' video encoded: ~half a core each);
    # beyond it a call goes unrecorded, and says so.
    max_recordings: int = Field(2, ge=0, le=64)
    record: bool = True
    retention_days: int = Field(180, ge=1, le=3650)


class RateLimitSettings(BaseModel):
    """Socket.IO commands each socket, and all sockets of one token together, may send: token
    buckets refilled at `*_per_second` and holding at most `*_burst`. The bursts cover a
    screen resubscribing every topic after a reconnect (and the sockets of one token doing it
    at once); the rates stay well above a clerk's hotkeys."""

    socket_per_second: float = Field(20.0, gt=0)
    socket_burst: int = Field(100, ge=1)
    token_per_second: float = Field(50.0, gt=0)
    token_burst: int = Field(300, ge=1)


class WalkInSettings(BaseModel):
    """码上取号 without an account (a walk-in scanning the hall's QR code): how often one
    network address or one phone may take a ticket or ask for a verification code. The hall's
    daily caps and per-person limits hold whatever these allow. A hall whose public Wi-Fi puts
    many citizens behind one address raises the per-address limits."""

    tickets_per_address_per_hour: int = Field(30, ge=1)
    codes_per_address_per_hour: int = Field(20, ge=1)
    codes_per_phone_per_day: int = Field(5, ge=1)
    # A code is sent again for the same phone only after this many seconds.
    code_resend_seconds: int = Field(60, ge=0, le=3600)
    code_minutes: int = Field(5, ge=1, le=60)
    # Wrong codes tried before the code is void (a new one must be asked for).
    code_attempts: int = Field(5, ge=1, le=20)


class EventLogSettings(BaseModel):
    max_events: int = Field(1000, ge=1)
    min_age_seconds: int = Field(24 * 3600, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HALLHUB_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str | None = None
    data_dir: Path = Path("var")
    mongodb_url: str | None = None
    mongodb_db: str = "hallhub"
    redis_url: str | None = None
    # A store or Redis that does not answer within this is reported unavailable: commands
    # answer STORE_UNAVAILABLE / EVENT_LOG_UNAVAILABLE instead of waiting (a restart, a
    # failover of the replica set is waited out by the screens' retries).
    store_timeout_seconds: float = Field(3.0, gt=0, le=60)
    # One store operation's longest wait for its answer (a hung store, not a down one); the
    # longest report query must fit in it.
    store_operation_timeout_seconds: float = Field(10.0, gt=0, le=600)
    # One Redis command's longest wait for its answer (a catch-up of thousands of events is
    # one answer, and Redis answers one command at a time).
    redis_operation_timeout_seconds: float = Field(10.0, gt=0, le=600)
    redis_timeout_seconds: float = Field(3.0, gt=0, le=60)
    # Every Redis key and channel of this deployment starts with it (tests use their own).
    redis_prefix: str = "hallhub:"
    jwt_secret: SecretStr | None = None
    jwt_ttl_seconds: int = Field(12 * 3600, ge=60)
    ice_servers: list[IceServer] = Field(default_factory=list)
    notifier: NotifierSettings = Field(default_factory=NotifierSettings)
    rtc: RtcSettings = Field(default_factory=RtcSettings)
    event_log: EventLogSettings = Field(default_factory=EventLogSettings)
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    static_dir: Path = ROOT / "clients"
    # A slow client whose socket buffer grows past this is dropped; it resumes from the log.
    max_client_buffer_bytes: int = Field(4 * 1024 * 1024, ge=64 * 1024)
    ping_interval: float = Field(25.0, gt=0)
    ping_timeout: float = Field(20.0, gt=0)
    # A WebSocket that has not connected to the Socket.IO namespace by then (or left it) is
    # closed, even if it answers pings.
    connect_timeout: float = Field(5.0, gt=0)
    # The binary attachments a packet announces must all arrive by then, or the socket is closed.
    attachment_timeout: float = Field(5.0, gt=0)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    walk_in: WalkInSettings = Field(default_factory=WalkInSettings)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client: behind
    # nginx every request comes from the proxy, and per-address limits need the citizen's.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = Path(os.environ.get("HALLHUB_CONFIG", DEFAULT_CONFIG))
        if config.suffix in (".yaml", ".yml") and config.exists():
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config))
        elif config.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def signing_secret(self) -> str:
        """The JWT secret; without one set, a random one kept in the data directory.

        Kept on disk so device tokens printed by the demo survive a restart.
        """
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        path = self.data_dir / "jwt_secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another node on the same data directory won the race
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(value)
        return value
