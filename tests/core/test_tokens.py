"""Random and derived tokens: shape, determinism, and the secret they depend on."""

from __future__ import annotations

import pytest

from portal_app.core import tokens
from portal_app.core.settings import get_settings


def test_derived_token_is_stable_url_safe_and_as_long_as_asked():
    key = tokens.derived_token("purpose", "42")
    assert key == tokens.derived_token("purpose", "42")
    assert len(key) == 43 and tokens.looks_like_token(key)
    short = tokens.derived_token("purpose", "42", nbytes=16)
    assert len(short) == 22 and tokens.looks_like_token(short)
    # Another value or another purpose gives an unrelated token.
    assert tokens.derived_token("purpose", "43") != key
    assert tokens.derived_token("other", "42") != key


def test_derived_token_depends_on_the_server_secret(monkeypatch):
    before = tokens.derived_token("purpose", "42")
    monkeypatch.setattr(get_settings(), "secret_key", "another-secret-" + "x" * 40)
    assert tokens.derived_token("purpose", "42") != before


@pytest.mark.parametrize("nbytes", [0, 15, 33])
def test_derived_token_refuses_sizes_outside_16_to_32_bytes(nbytes):
    with pytest.raises(ValueError):
        tokens.derived_token("purpose", "42", nbytes=nbytes)
