"""The one Settings object: every piece of configuration comes from the environment here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "dev-only-insecure-secret-change-me"


class Settings(BaseSettings):
    """Configuration read from environment variables (and an optional .env file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = Field(default="development", alias="PORTAL_ENV")
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / '.data' / 'portal.db'}", alias="DATABASE_URL"
    )
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    secret_key: str = Field(default=PLACEHOLDER_SECRET, alias="PORTAL_SECRET_KEY")
    base_url: str = Field(default="http://localhost:8000", alias="PORTAL_BASE_URL")

    session_cookie_name: str = Field(default="portal_session", alias="PORTAL_SESSION_COOKIE")
    session_hours: int = Field(default=12, alias="PORTAL_SESSION_HOURS")
    link_session_minutes: int = Field(default=60, alias="PORTAL_LINK_SESSION_MINUTES")
    password_reset_minutes: int = Field(default=30, alias="PORTAL_PASSWORD_RESET_MINUTES")
    login_max_failures: int = Field(default=5, alias="PORTAL_LOGIN_MAX_FAILURES")
    login_failure_window_minutes: int = Field(default=15, alias="PORTAL_LOGIN_WINDOW_MINUTES")
    rate_limit_storage: str = Field(default="memory://", alias="PORTAL_RATE_LIMIT_STORAGE")

    smtp_host: str = Field(default="localhost", alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, alias="SMTP_PORT")
    smtp_username: str | None = Field(default=None, alias="SMTP_USERNAME")
    smtp_password: str | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=False, alias="SMTP_STARTTLS")
    mail_from: str = Field(default="portal@localhost", alias="SMTP_FROM")

    # Extra page modules to import at start-up (comma-separated dotted names), for add-ons.
    extra_page_modules: str = Field(default="", alias="PORTAL_EXTRA_PAGES")

    documents_root: Path = Field(
        default=PROJECT_ROOT / ".data" / "documents", alias="DOCUMENTS_ROOT"
    )
    # Largest document accepted, and the detected media types accepted (comma-separated).
    documents_max_bytes: int = Field(default=10 * 1024 * 1024, alias="DOCUMENTS_MAX_BYTES")
    documents_allowed_types: str = Field(
        default=(
            "application/pdf,image/png,image/jpeg,image/gif,text/csv,text/plain,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ),
        alias="DOCUMENTS_ALLOWED_TYPES",
    )
    download_token_seconds: int = Field(default=300, alias="PORTAL_DOWNLOAD_TOKEN_SECONDS")

    stripe_secret_key: str | None = Field(default=None, alias="STRIPE_SECRET_KEY")
    stripe_publishable_key: str | None = Field(default=None, alias="STRIPE_PUBLISHABLE_KEY")
    stripe_webhook_secret: str | None = Field(default=None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")
    stripe_js_url: str = Field(default="https://js.stripe.com/v3/", alias="STRIPE_JS_URL")

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        allowed = {"development", "test", "production"}
        if value not in allowed:
            raise ValueError(f"PORTAL_ENV must be one of {sorted(allowed)}")
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "PORTAL_SECRET_KEY is a placeholder or shorter than 32 characters; "
                "set a random secret outside development"
            )
        return self

    @property
    def cors_origins(self) -> list[str]:
        """Origins allowed to call the backend with credentials (the dev front end too)."""
        origins = [self.base_url.rstrip("/")]
        if self.environment == "development":
            origins += ["http://localhost:3000", "http://127.0.0.1:3000"]
        return origins

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
