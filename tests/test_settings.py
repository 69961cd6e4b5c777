import pytest
from pydantic import ValidationError

from portal_app.settings import PLACEHOLDER_SECRET, Settings


def test_production_refuses_placeholder_secret(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", PLACEHOLDER_SECRET)
    with pytest.raises(ValidationError, match="PORTAL_SECRET_KEY"):
        Settings()


def test_production_accepts_a_real_secret(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 40)
    assert Settings().environment == "production"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "staging-ish")
    with pytest.raises(ValidationError):
        Settings()
