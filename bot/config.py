"""All configuration in one place, from the environment (and an optional .env file)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: what Telegram accepts as a webhook secret token
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'rupture-coach.db'}"


class Settings(BaseSettings):
    """Every variable is listed, with a comment, in `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_max_connections: int = Field(default=500, ge=1, le=10_000)
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    # Model server (any OpenAI-compatible endpoint)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    patient_model: str = "gpt-4o-mini"
    judge_model: str = "gpt-4o-mini"
    #: rules (offline default), llm (needs the model server) or minilm (offline, optional
    #: extra); empty: llm when the patient is the LLM, else rules
    judge: Literal["rules", "llm", "minilm"] | None = None
    minilm_model_dir: Path = PROJECT_ROOT / "models" / "minilm-judge"
    transcription_model: str | None = None
    model_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    model_max_retries: int = Field(default=2, ge=0, le=10)

    # Storage
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None

    # Production path (webhook replicas) and limits
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # noqa: S104 (a server inside a container listens on all)
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    shutdown_grace_seconds: float = Field(default=25.0, ge=0, le=600)
    rate_limit_per_minute: int = Field(default=20, ge=0, description="0: no limit")
    daily_turn_quota: int = Field(default=200, ge=0, description="0: no limit")
    retention_days: int = Field(default=0, ge=0, description="0: keep sessions")

    # Content
    personas_dir: Path = PROJECT_ROOT / "personas"
    rubrics_dir: Path = PROJECT_ROOT / "rubrics"
    content_dir: Path = PROJECT_ROOT / "content"

    log_level: str | None = Field(default=None, description="default: INFO, WARNING for chat")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("use 1-256 characters: letters, digits, _ and - (Telegram's rule)")
        return value

    @property
    def model_configured(self) -> bool:
        """A model server is usable when a key or a base URL (local servers need no key) is set."""
        return self.openai_api_key is not None or bool(self.openai_base_url)

    @property
    def api_key(self) -> str:
        # Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM) accept any key.
        return self.openai_api_key.get_secret_value() if self.openai_api_key else "not-needed"
