"""Settings: environment-only configuration, refused placeholders, Reflex's state manager."""

import os
import re
import subprocess
import sys

import pytest
from pydantic import ValidationError

from portal_app.core.settings import PLACEHOLDER_SECRET, PROJECT_ROOT, Settings


def test_production_refuses_placeholder_secret(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", PLACEHOLDER_SECRET)
    with pytest.raises(ValidationError, match="PORTAL_SECRET_KEY"):
        Settings()


def test_production_accepts_a_real_secret(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", LIVE_WEBHOOK_SECRET)
    assert Settings().environment == "production"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "staging-ish")
    with pytest.raises(ValidationError):
        Settings()


# --- production configuration (issue 8) -------------------------------------------------------

REAL_SECRET = "k3Jx9qLm2Vw8Zr5Tn1Pb7Yc4Hd6Fs0Ga"
LIVE_WEBHOOK_SECRET = "whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
_CONFIG_VARS = (
    "PORTAL_ENV",
    "PORTAL_SECRET_KEY",
    "PORTAL_WORKERS",
    "PORTAL_LOG_FORMAT",
    "PORTAL_LOG_LEVEL",
    "REDIS_URL",
    "SMTP_PASSWORD",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
)


@pytest.fixture
def clean_env(monkeypatch):
    """No configuration from the developer's shell leaks into these tests."""
    for name in _CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _production(env, **values):
    env.setenv("PORTAL_ENV", "production")
    env.setenv("PORTAL_SECRET_KEY", REAL_SECRET)
    for name, value in values.items():
        env.setenv(name, value)


def test_workers_default_to_one(clean_env):
    assert Settings().workers == 1


def test_several_workers_need_redis(clean_env):
    clean_env.setenv("PORTAL_WORKERS", "2")
    with pytest.raises(ValidationError, match="PORTAL_WORKERS=2 needs REDIS_URL"):
        Settings()


def test_several_workers_with_redis(clean_env):
    clean_env.setenv("PORTAL_WORKERS", "4")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = Settings()
    assert (settings.workers, settings.redis_url) == (4, "redis://127.0.0.1:6379/0")


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_worker_count_must_be_positive(clean_env, value):
    clean_env.setenv("PORTAL_WORKERS", value)
    with pytest.raises(ValidationError, match="PORTAL_WORKERS"):
        Settings()


def test_redis_url_scheme_is_checked(clean_env):
    clean_env.setenv("REDIS_URL", "http://127.0.0.1:6379")
    with pytest.raises(ValidationError, match="REDIS_URL must start with redis://"):
        Settings()


def test_empty_redis_url_means_no_redis(clean_env):
    clean_env.setenv("REDIS_URL", "")
    assert Settings().redis_url is None


@pytest.mark.parametrize(
    "value", ["change-me-to-a-long-random-string-please", "x" * 31, "example-secret" * 4]
)
def test_production_refuses_weak_secret_keys(clean_env, value):
    _production(clean_env, PORTAL_SECRET_KEY=value)
    with pytest.raises(ValidationError, match="PORTAL_SECRET_KEY"):
        Settings()


def test_development_tolerates_the_placeholder(clean_env):
    assert Settings().secret_key == PLACEHOLDER_SECRET


def test_live_stripe_key_needs_a_webhook_secret(clean_env):
    _production(clean_env, STRIPE_SECRET_KEY="sk_live_abc123", STRIPE_PUBLISHABLE_KEY="pk_live_x")
    with pytest.raises(ValidationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings()


def test_live_stripe_key_refuses_a_placeholder_webhook_secret(clean_env):
    _production(
        clean_env,
        STRIPE_SECRET_KEY="sk_live_abc123",
        STRIPE_PUBLISHABLE_KEY="pk_live_x",
        STRIPE_WEBHOOK_SECRET="whsec_change-me-placeholder",
    )
    with pytest.raises(ValidationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings()


def test_live_stripe_key_checks_hold_in_development_too(clean_env):
    # A live key moves real money wherever it runs.
    clean_env.setenv("STRIPE_SECRET_KEY", "sk_live_abc123")
    with pytest.raises(ValidationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings()


def test_live_stripe_key_refuses_a_test_publishable_key_and_a_fake_api_base(clean_env):
    _production(
        clean_env,
        STRIPE_SECRET_KEY="sk_live_abc123",
        STRIPE_PUBLISHABLE_KEY="pk_test_x",
        STRIPE_WEBHOOK_SECRET=LIVE_WEBHOOK_SECRET,
        STRIPE_API_BASE="http://localhost:8420",
    )
    with pytest.raises(ValidationError) as excinfo:
        Settings()
    assert "STRIPE_PUBLISHABLE_KEY" in str(excinfo.value)
    assert "STRIPE_API_BASE" in str(excinfo.value)


def test_complete_live_configuration_is_accepted(clean_env):
    _production(
        clean_env,
        STRIPE_SECRET_KEY="sk_live_abc123",
        STRIPE_PUBLISHABLE_KEY="pk_live_x",
        STRIPE_WEBHOOK_SECRET=LIVE_WEBHOOK_SECRET,
        PORTAL_WORKERS="2",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert Settings().configuration_problems() == []


def test_test_mode_stripe_keys_are_fine_in_production(clean_env):
    _production(
        clean_env, STRIPE_SECRET_KEY="sk_test_abc", STRIPE_WEBHOOK_SECRET=LIVE_WEBHOOK_SECRET
    )
    assert Settings().stripe_secret_key == "sk_test_abc"


def test_production_refuses_placeholder_smtp_password(clean_env):
    _production(clean_env, SMTP_PASSWORD="changeme")
    with pytest.raises(ValidationError, match="SMTP_PASSWORD"):
        Settings()


def test_every_problem_is_reported_at_once(clean_env):
    _production(clean_env, PORTAL_SECRET_KEY="short", PORTAL_WORKERS="3")
    with pytest.raises(ValidationError) as excinfo:
        Settings()
    assert "PORTAL_SECRET_KEY" in str(excinfo.value)
    assert "PORTAL_WORKERS=3 needs REDIS_URL" in str(excinfo.value)


def test_log_format_is_text_or_json(clean_env):
    clean_env.setenv("PORTAL_LOG_FORMAT", "JSON")
    assert Settings().log_format == "json"
    clean_env.setenv("PORTAL_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="PORTAL_LOG_FORMAT"):
        Settings()


def test_log_level_is_checked(clean_env):
    clean_env.setenv("PORTAL_LOG_LEVEL", "warning")
    assert Settings().log_level == "WARNING"
    clean_env.setenv("PORTAL_LOG_LEVEL", "loud")
    with pytest.raises(ValidationError, match="PORTAL_LOG_LEVEL"):
        Settings()


def _state_manager_kind(env: dict[str, str]) -> str:
    """The state manager Reflex builds from rxconfig.py, in a fresh process with `env`."""
    code = (
        "from reflex.istate.manager import StateManager\n"
        "print(type(StateManager.create()).__name__)\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARS}
    base.pop("REFLEX_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_redis_url_makes_reflex_use_its_redis_state_manager():
    assert _state_manager_kind({"REDIS_URL": "redis://127.0.0.1:6379/0"}) == "StateManagerRedis"


def test_without_redis_url_reflex_keeps_state_locally():
    assert _state_manager_kind({}) != "StateManagerRedis"


def test_check_config_prints_the_worker_count(clean_env, capsys):
    from portal_app.cli import main

    clean_env.setenv("PORTAL_WORKERS", "2")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert main(["check-config"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "2"
    assert "redis=redis://127.0.0.1:6379/0 (reachable)" in captured.err


def test_check_config_names_each_wrong_variable(clean_env, capsys):
    from portal_app.cli import main

    _production(clean_env, PORTAL_SECRET_KEY="short", PORTAL_WORKERS="2")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("configuration refused: PORTAL_WORKERS=2 needs REDIS_URL")
    assert err[1].startswith("configuration refused: PORTAL_SECRET_KEY is a placeholder")


def test_check_config_refuses_an_unreachable_redis(clean_env, capsys):
    from portal_app.cli import main

    clean_env.setenv("REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert "REDIS_URL redis://:***@127.0.0.1:1/0 is unreachable" in err
    assert "hunter2" not in err


# --- the webhook secret (money integrity) ------------------------------------------------------

# Every kind of Stripe key a production configuration may carry, with its publishable key.
STRIPE_KEY_KINDS = {
    "sk_live": {"STRIPE_SECRET_KEY": "sk_live_abc123", "STRIPE_PUBLISHABLE_KEY": "pk_live_x"},
    "rk_live": {"STRIPE_SECRET_KEY": "rk_live_abc123", "STRIPE_PUBLISHABLE_KEY": "pk_live_x"},
    "sk_test": {"STRIPE_SECRET_KEY": "sk_test_abc123", "STRIPE_PUBLISHABLE_KEY": "pk_test_x"},
    "no key": {},
}
# Webhook secrets anyone can read: none, placeholders, and the ones written in this repository.
UNSAFE_WEBHOOK_SECRETS = {
    "unset": None,
    "empty": "",
    "blank": "   ",
    "placeholder": "whsec_change-me-placeholder",
    "the demo's": "whsec_demo_localstripe",
    "the built-in test secret": "whsec_portal_localstripe",
    "the README's example": "whsec_...",
    "the test suite's": "whsec_test_portal",
    "too short": "whsec_abc",
    "not a whsec_ secret": "k3Jx9qLm2Vw8Zr5Tn1Pb7Yc4Hd6Fs0Ga",
}


def _with_webhook_secret(env, secret: str | None) -> None:
    if secret is None:
        env.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    else:
        env.setenv("STRIPE_WEBHOOK_SECRET", secret)


@pytest.mark.parametrize("secret", UNSAFE_WEBHOOK_SECRETS.values(), ids=UNSAFE_WEBHOOK_SECRETS)
@pytest.mark.parametrize("keys", STRIPE_KEY_KINDS.values(), ids=STRIPE_KEY_KINDS)
def test_production_refuses_a_webhook_secret_anyone_can_know(clean_env, capsys, keys, secret):
    # Whoever knows the secret can sign a `payment_intent.succeeded` of their own.
    from portal_app.cli import main

    _production(clean_env, **keys)
    _with_webhook_secret(clean_env, secret)
    with pytest.raises(ValidationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings()
    assert main(["check-config"]) == 2
    about_it = [line for line in capsys.readouterr().err.splitlines() if "WEBHOOK" in line]
    assert len(about_it) == 1
    assert about_it[0].startswith("configuration refused: STRIPE_WEBHOOK_SECRET ")


@pytest.mark.parametrize("keys", STRIPE_KEY_KINDS.values(), ids=STRIPE_KEY_KINDS)
def test_production_accepts_the_endpoints_own_webhook_secret(clean_env, keys):
    _production(clean_env, STRIPE_WEBHOOK_SECRET=LIVE_WEBHOOK_SECRET, **keys)
    assert Settings().configuration_problems() == []


@pytest.mark.parametrize("secret", ["whsec_demo_localstripe", "whsec_portal_localstripe", None])
def test_a_live_key_refuses_published_webhook_secrets_in_development_too(clean_env, secret):
    clean_env.setenv("STRIPE_SECRET_KEY", "rk_live_abc123")
    clean_env.setenv("STRIPE_PUBLISHABLE_KEY", "pk_live_x")
    _with_webhook_secret(clean_env, secret)
    with pytest.raises(ValidationError, match="STRIPE_WEBHOOK_SECRET"):
        Settings()


def test_development_and_test_keep_the_demo_secret(clean_env):
    # scripts/demo.sh runs in development with test keys against localstripe.
    for environment in ("development", "test"):
        clean_env.setenv("PORTAL_ENV", environment)
        clean_env.setenv("STRIPE_SECRET_KEY", "sk_test_demo")
        clean_env.setenv("STRIPE_WEBHOOK_SECRET", "whsec_demo_localstripe")
        assert Settings().configuration_problems() == []
        clean_env.delenv("STRIPE_WEBHOOK_SECRET")
        assert Settings().configuration_problems() == []


def test_a_restricted_live_key_gets_the_live_key_checks(clean_env):
    clean_env.setenv("STRIPE_SECRET_KEY", "rk_live_abc123")
    clean_env.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_x")
    clean_env.setenv("STRIPE_WEBHOOK_SECRET", LIVE_WEBHOOK_SECRET)
    clean_env.setenv("STRIPE_API_BASE", "http://localhost:8420")
    with pytest.raises(ValidationError) as excinfo:
        Settings()
    assert "STRIPE_PUBLISHABLE_KEY" in str(excinfo.value)
    assert "STRIPE_API_BASE" in str(excinfo.value)


# Where a webhook secret may be written down for someone to copy: the shipped code, the scripts,
# the benchmarks and the documentation (tests use throwaway ones of their own).
_SCANNED = ("portal_app", "scripts", "bench", "rxconfig.py", "README.md")
_WHSEC_LITERAL = re.compile(r"whsec_(?:[\w+/=-]+|\.\.\.)")


def test_every_webhook_secret_written_in_the_project_is_refused():
    from portal_app.core.settings import KNOWN_WEBHOOK_SECRETS
    from tests.conftest import WEBHOOK_SECRET

    found: dict[str, str] = {}
    for name in _SCANNED:
        root = PROJECT_ROOT / name
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            for literal in _WHSEC_LITERAL.findall(path.read_text(errors="replace")):
                found.setdefault(literal, str(path.relative_to(PROJECT_ROOT)))
    # The scan must see the ones we know are there, or it proves nothing.
    assert {"whsec_demo_localstripe", "whsec_portal_localstripe", "whsec_..."} <= set(found)
    unknown = {
        literal: where for literal, where in found.items() if literal not in KNOWN_WEBHOOK_SECRETS
    }
    assert unknown == {}, "add these to settings.KNOWN_WEBHOOK_SECRETS"
    # The e2e servers run with the test suite's secret: published too.
    assert WEBHOOK_SECRET in KNOWN_WEBHOOK_SECRETS


def test_the_server_refuses_to_start_with_the_demo_webhook_secret():
    # rxconfig.py reads the settings, so Reflex stops before serving anything.
    base = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARS}
    env = {
        **base,
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": REAL_SECRET,
        "STRIPE_SECRET_KEY": "rk_live_abc123",
        "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_demo_localstripe",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import rxconfig"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in done.stderr
