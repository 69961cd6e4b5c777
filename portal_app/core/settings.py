"""The one Settings object: every piece of configuration comes from the environment here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_SECRET = "dev-only-insecure-secret-change-me"
# Words that mark a value copied from an example or the demo rather than a real secret.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "dev-only", "insecure", "example")
# Environments where placeholder secrets are tolerated: a developer's machine and the test suite
# (which runs its servers with the demo's fake keys against localstripe).
RELAXED_ENVIRONMENTS = {"development", "test"}
# Webhook signing secrets anyone can read: the built-in localstripe fallback, the demo's, the
# README's example, the benchmark's and the test suite's. Whoever knows the secret can sign a
# `payment_intent.succeeded` of their own, so none of them is accepted outside development and
# test (nor beside a live key anywhere). tests/core/test_settings.py scans portal_app/, scripts/,
# bench/, rxconfig.py and README.md and fails for a whsec_ value written there but missing here.
KNOWN_WEBHOOK_SECRETS = (
    "whsec_portal_localstripe",  # gateways/stripe_gateway.py TEST_WEBHOOK_SECRET
    "whsec_demo_localstripe",  # scripts/demo.sh
    "whsec_...",  # README.md
    "whsec_bench",  # bench/checkout.py
    "whsec_test_portal",  # tests/conftest.py, the e2e servers' secret
)
# Stripe's secret keys that move real money: secret and restricted.
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Settings(BaseSettings):
    """Configuration read from environment variables (and an optional .env file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = Field(default="development", alias="PORTAL_ENV")
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / '.data' / 'portal.db'}", alias="DATABASE_URL"
    )
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    # Backend worker processes for the production start (scripts/prod.sh); more than one needs
    # REDIS_URL, because Reflex otherwise keeps each tab's state in one worker's memory.
    workers: int = Field(default=1, ge=1, le=64, alias="PORTAL_WORKERS")
    # "text" for people at a terminal, "json" (one object a line) for log collectors.
    log_format: str = Field(default="text", alias="PORTAL_LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="PORTAL_LOG_LEVEL")
    secret_key: str = Field(default=PLACEHOLDER_SECRET, alias="PORTAL_SECRET_KEY")
    base_url: str = Field(default="http://localhost:8000", alias="PORTAL_BASE_URL")

    session_cookie_name: str = Field(default="portal_session", alias="PORTAL_SESSION_COOKIE")
    session_hours: int = Field(default=12, alias="PORTAL_SESSION_HOURS")
    # Staff sign in with their own cookie, so a client session never opens the staff console.
    staff_session_cookie_name: str = Field(
        default="portal_staff_session", alias="PORTAL_STAFF_SESSION_COOKIE"
    )
    staff_session_hours: int = Field(default=10, alias="PORTAL_STAFF_SESSION_HOURS")
    # A staff preview of a client's portal is short-lived.
    preview_session_minutes: int = Field(default=60, alias="PORTAL_PREVIEW_SESSION_MINUTES")
    link_session_minutes: int = Field(default=60, alias="PORTAL_LINK_SESSION_MINUTES")
    password_reset_minutes: int = Field(default=30, alias="PORTAL_PASSWORD_RESET_MINUTES")
    login_max_failures: int = Field(default=5, alias="PORTAL_LOGIN_MAX_FAILURES")
    login_failure_window_minutes: int = Field(default=15, alias="PORTAL_LOGIN_WINDOW_MINUTES")
    rate_limit_storage: str = Field(default="memory://", alias="PORTAL_RATE_LIMIT_STORAGE")
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated IPs/CIDRs); empty:
    # none, the connection's peer is the client (portal_app/client_address.py).
    trusted_proxies: str = Field(default="", alias="PORTAL_TRUSTED_PROXIES")

    smtp_host: str = Field(default="localhost", alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, alias="SMTP_PORT")
    smtp_username: str | None = Field(default=None, alias="SMTP_USERNAME")
    smtp_password: str | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=False, alias="SMTP_STARTTLS")
    mail_from: str = Field(default="portal@localhost", alias="SMTP_FROM")

    # Minutes between in-app runs of the scheduled jobs (recurring invoices, renewals, link
    # expiry) in every backend worker; a job lock lets one run at a time. 0 switches it off.
    jobs_interval_minutes: int = Field(
        default=15, ge=0, le=24 * 60, alias="PORTAL_JOBS_INTERVAL_MINUTES"
    )
    # Seconds between in-app sends of the e-mail outbox (a lock of its own lets one worker send
    # at a time); 0 switches it off, leaving the outbox to the job runs above.
    outbox_interval_seconds: int = Field(
        default=10, ge=0, le=24 * 3600, alias="PORTAL_OUTBOX_INTERVAL_SECONDS"
    )

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
    # Where documents, logos and built files are kept (portal_app/storage/): "local" is the
    # DOCUMENTS_ROOT folder (one host); "s3" is a bucket every host shares (AWS S3, MinIO, Ceph,
    # R2). Unset S3 credentials fall back to boto3's own chain (instance role, AWS_* variables).
    storage_backend: str = Field(default="local", alias="STORAGE_BACKEND")
    s3_bucket: str | None = Field(default=None, alias="S3_BUCKET")
    s3_prefix: str = Field(default="", alias="S3_PREFIX")
    s3_endpoint_url: str | None = Field(default=None, alias="S3_ENDPOINT_URL")
    s3_region: str | None = Field(default=None, alias="S3_REGION")
    s3_access_key_id: str | None = Field(default=None, alias="S3_ACCESS_KEY_ID")
    s3_secret_access_key: str | None = Field(default=None, alias="S3_SECRET_ACCESS_KEY")
    # Largest request body Reflex's upload endpoint (/_upload) reads, multipart framing
    # included; refused with 413 before anything reaches the disk (portal_app/upload_guard.py).
    upload_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, alias="PORTAL_UPLOAD_MAX_BYTES")

    stripe_secret_key: str | None = Field(default=None, alias="STRIPE_SECRET_KEY")
    stripe_publishable_key: str | None = Field(default=None, alias="STRIPE_PUBLISHABLE_KEY")
    stripe_webhook_secret: str | None = Field(default=None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")
    stripe_js_url: str = Field(default="https://js.stripe.com/v3/", alias="STRIPE_JS_URL")

    # Front-end build: Radix and its helpers in one vendor chunk (reflex_ext/vendor_chunk.py);
    # 0 builds with Vite's default split, for before/after measurements (bench/lighthouse.py).
    vendor_chunk: bool = Field(default=True, alias="PORTAL_VENDOR_CHUNK")
    # Radix Themes CSS with only the colour scales the portal uses (reflex_ext/radix_css.py);
    # 0 keeps Reflex's whole styles.css, for before/after measurements.
    radix_css_trim: bool = Field(default=True, alias="PORTAL_RADIX_CSS_TRIM")

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        allowed = {"development", "test", "production"}
        if value not in allowed:
            raise ValueError(f"PORTAL_ENV must be one of {sorted(allowed)}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str | None) -> str | None:
        # An empty REDIS_URL= line in an env file means "no Redis", not a broken URL.
        if not value:
            return None
        if not value.startswith(REDIS_SCHEMES):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        value = value.lower()
        if value not in {"text", "json"}:
            raise ValueError("PORTAL_LOG_FORMAT must be 'text' or 'json'")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        from portal_app.client_address import parse_trusted_proxies

        try:
            networks = parse_trusted_proxies(value)
        except ValueError as exc:
            raise ValueError(f"PORTAL_TRUSTED_PROXIES: {exc}") from None
        return ",".join(str(network) for network in networks)

    @field_validator("storage_backend")
    @classmethod
    def _known_storage_backend(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in {"local", "s3"}:
            raise ValueError("STORAGE_BACKEND must be 'local' or 's3'")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("PORTAL_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_configuration(self) -> Settings:
        """Refuse to start with settings that would lose state or leak a live secret.

        Each message names the variable to fix, so an operator can act on it directly.
        """
        problems = self.configuration_problems()
        if problems:
            # One problem a line, so an operator can fix them all in one go.
            raise ValueError("\n".join(problems))
        return self

    def configuration_problems(self) -> list[str]:
        """Every reason this configuration must not run, each naming its variable."""
        problems: list[str] = []
        if self.workers > 1 and not self.redis_url:
            problems.append(
                f"PORTAL_WORKERS={self.workers} needs REDIS_URL: with several workers Reflex "
                "must keep state in Redis, or a tab's events land on a worker that never saw it"
            )
        if self.environment not in RELAXED_ENVIRONMENTS:
            if _is_placeholder(self.secret_key) or len(self.secret_key) < 32:
                problems.append(
                    "PORTAL_SECRET_KEY is a placeholder or shorter than 32 characters; "
                    "set a random secret outside development"
                )
            if self.smtp_password is not None and _is_placeholder(self.smtp_password):
                problems.append("SMTP_PASSWORD is a placeholder; set the real password")
        problems += self._storage_problems()
        if webhook_problem := self._webhook_secret_problem():
            problems.append(webhook_problem)
        problems += self._live_stripe_problems()
        return problems

    def _storage_problems(self) -> list[str]:
        """An S3 store needs its bucket; outside development its keys must be real ones."""
        if self.storage_backend != "s3":
            return []
        problems: list[str] = []
        if not (self.s3_bucket or "").strip():
            problems.append("STORAGE_BACKEND=s3 needs S3_BUCKET (the bucket every host shares)")
        if self.environment not in RELAXED_ENVIRONMENTS:
            for name, value in (
                ("S3_ACCESS_KEY_ID", self.s3_access_key_id),
                ("S3_SECRET_ACCESS_KEY", self.s3_secret_access_key),
            ):
                if value is not None and _is_placeholder(value):
                    problems.append(f"{name} is a placeholder; set the real credential")
        return problems

    @property
    def has_live_stripe_key(self) -> bool:
        """A secret or restricted live key: it moves real money wherever it runs."""
        return (self.stripe_secret_key or "").startswith(LIVE_KEY_PREFIXES)

    def _webhook_secret_problem(self) -> str | None:
        """Outside development and test, and beside a live key anywhere, the webhook secret
        must be the endpoint's own: a missing one would leave only the built-in test secret, and
        a placeholder or a published one lets anybody sign a payment of their own."""
        if self.environment in RELAXED_ENVIRONMENTS and not self.has_live_stripe_key:
            return None
        secret = (self.stripe_webhook_secret or "").strip()
        copy_it = "copy the webhook endpoint's signing secret (whsec_...) from Stripe"
        if not secret:
            return f"STRIPE_WEBHOOK_SECRET is not set; {copy_it}"
        if secret in KNOWN_WEBHOOK_SECRETS or _is_placeholder(secret):
            return (
                "STRIPE_WEBHOOK_SECRET is a placeholder or a secret published in this project "
                f"(demo, tests, docs); {copy_it}"
            )
        if not secret.startswith("whsec_") or len(secret) < 20:
            return f"STRIPE_WEBHOOK_SECRET is not a whsec_... signing secret; {copy_it}"
        return None

    def _live_stripe_problems(self) -> list[str]:
        # A live key moves real money in any environment, so these hold everywhere (its
        # webhook secret is checked by _webhook_secret_problem).
        if not self.has_live_stripe_key:
            return []
        problems: list[str] = []
        if not (self.stripe_publishable_key or "").startswith("pk_live_"):
            problems.append(
                "STRIPE_PUBLISHABLE_KEY must be a pk_live_ key beside a live sk_live_/rk_live_ key"
            )
        if self.stripe_api_base:
            # A live key sent to a fake or foreign API base would hand it to that server.
            problems.append("STRIPE_API_BASE must be unset when STRIPE_SECRET_KEY is a live key")
        return problems

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


def _is_placeholder(value: str) -> bool:
    """Whether a secret is the built-in placeholder or reads like an example or demo value."""
    lowered = value.lower()
    return value == PLACEHOLDER_SECRET or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
