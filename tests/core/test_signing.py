"""Signed tokens through itsdangerous: round trip, lifetime, purpose, key, tampering, and the
legacy (hand-made HMAC) tokens accepted for one lifetime after the upgrade."""

from __future__ import annotations

import uuid

import pytest

from portal_app.core import signing
from portal_app.core.settings import get_settings
from portal_app.core.signing import InvalidToken, Purpose
from tests.helpers.legacy_tokens import b64, old_seal_payload, unb64

T0 = 1_900_000_000.0
PAYLOAD = ["d", [7, 8], 3]


def _fields(fields: list[str]) -> list[str]:
    return fields


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_a_token_round_trips_for_its_purpose_within_its_lifetime():
    for purpose in Purpose:
        token = signing.sign(purpose, PAYLOAD, now=T0)
        assert signing.unsign(purpose, token, max_age=300, now=T0) == PAYLOAD
        assert signing.unsign(purpose, token, max_age=300, now=T0 + 299.9) == PAYLOAD
    # URL-safe: it goes into paths and query strings as it is.
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_a_token_dies_at_issue_plus_max_age():
    token = signing.sign(Purpose.DOCUMENT_DOWNLOAD, PAYLOAD, now=T0)
    for late in (T0 + 300, T0 + 301, T0 + 86_400):
        with pytest.raises(InvalidToken):
            signing.unsign(Purpose.DOCUMENT_DOWNLOAD, token, max_age=300, now=late)
    # The reader decides the lifetime: a shorter setting applies to tokens already out.
    with pytest.raises(InvalidToken):
        signing.unsign(Purpose.DOCUMENT_DOWNLOAD, token, max_age=60, now=T0 + 61)


def test_a_token_from_a_clock_a_little_ahead_is_accepted_one_from_the_future_is_not():
    token = signing.sign(Purpose.PASSWORD_RESET, PAYLOAD, now=T0)
    assert signing.unsign(Purpose.PASSWORD_RESET, token, max_age=300, now=T0 - 30) == PAYLOAD
    with pytest.raises(InvalidToken):
        signing.unsign(Purpose.PASSWORD_RESET, token, max_age=300, now=T0 - 3600)


def test_a_token_for_one_purpose_is_refused_for_every_other():
    for made_for in Purpose:
        token = signing.sign(made_for, PAYLOAD, now=T0)
        for used_as in Purpose:
            if used_as is made_for:
                continue
            with pytest.raises(InvalidToken):
                signing.unsign(used_as, token, max_age=300, now=T0)


def test_a_token_signed_with_another_secret_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "another-secret-" + uuid.uuid4().hex)
    get_settings.cache_clear()
    try:
        foreign = signing.sign(Purpose.DOCUMENT_DOWNLOAD, PAYLOAD, now=T0)
        foreign_fingerprint = signing.fingerprint(Purpose.PASSWORD_RESET, "hash")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    with pytest.raises(InvalidToken):
        signing.unsign(Purpose.DOCUMENT_DOWNLOAD, foreign, max_age=300, now=T0)
    assert foreign_fingerprint != signing.fingerprint(Purpose.PASSWORD_RESET, "hash")


def test_every_changed_character_is_refused():
    token = signing.sign(Purpose.DOCUMENT_DOWNLOAD, PAYLOAD, now=T0)
    for index in range(len(token)):
        tampered = _flip(token, index)
        with pytest.raises(InvalidToken):
            signing.unsign(Purpose.DOCUMENT_DOWNLOAD, tampered, max_age=300, now=T0)


def test_a_forged_payload_or_timestamp_under_a_real_signature_is_refused():
    token = signing.sign(Purpose.DOCUMENT_DOWNLOAD, PAYLOAD, now=T0)
    other = signing.sign(Purpose.DOCUMENT_DOWNLOAD, ["d", [9], 3], now=T0 + 5)
    body, issued, sig = token.split(".")
    other_body, other_issued, other_sig = other.split(".")
    for forged in (
        f"{other_body}.{issued}.{sig}",
        f"{body}.{other_issued}.{sig}",
        f"{body}.{issued}.{other_sig}",
        f"{body}.{sig}",
        f"{body}..{sig}",
    ):
        with pytest.raises(InvalidToken):
            signing.unsign(Purpose.DOCUMENT_DOWNLOAD, forged, max_age=300, now=T0 + 10)


def test_a_signature_has_one_spelling():
    # base64 leaves two spare bits in a 32-byte signature's last character: the other three
    # characters of its group decode to the same bytes, and are refused all the same.
    for n in range(20):
        token = signing.sign(Purpose.PASSWORD_RESET, [n], now=T0)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.index(token[-1])
        assert last % 4 == 0
        for spare in (1, 2, 3):
            respelled = token[:-1] + alphabet[last + spare]
            assert unb64(respelled.rsplit(".", 1)[1]) == unb64(token.rsplit(".", 1)[1])
            with pytest.raises(InvalidToken):
                signing.unsign(Purpose.PASSWORD_RESET, respelled, max_age=300, now=T0)


@pytest.mark.parametrize(
    "bad",
    [None, 7, b"bytes", "", "x", ".", "..", "a.b.c", "not-a-token", "é" * 40, "A" * 5000],
)
def test_malformed_tokens_are_refused(bad):
    with pytest.raises(InvalidToken):
        signing.unsign(Purpose.DOCUMENT_DOWNLOAD, bad, max_age=300, legacy=_fields)


def test_whitespace_or_padding_around_a_token_is_refused():
    token = signing.sign(Purpose.DOCUMENT_DOWNLOAD, PAYLOAD, now=T0)
    for bad in (f" {token}", f"{token}\n", f"{token}=", f"{token}==", f"{token}.{token}"):
        with pytest.raises(InvalidToken):
            signing.unsign(Purpose.DOCUMENT_DOWNLOAD, bad, max_age=300, now=T0)


def test_fingerprints_are_short_keyed_and_follow_their_text():
    first = signing.fingerprint(Purpose.PASSWORD_RESET, "$argon2id$hash-one")
    assert first == signing.fingerprint(Purpose.PASSWORD_RESET, "$argon2id$hash-one")
    assert len(first) == 22 and "hash" not in first
    assert first != signing.fingerprint(Purpose.PASSWORD_RESET, "$argon2id$hash-two")
    assert first != signing.fingerprint(Purpose.REGISTRATION_CONFIRM, "$argon2id$hash-one")


# -- legacy tokens (made by hand before itsdangerous) -----------------------------------------


def test_a_legacy_token_is_accepted_through_the_fallback_until_its_own_expiry():
    old = old_seal_payload(["d", "7", "3"], now=T0)
    ttl = get_settings().download_token_seconds

    def convert(fields):
        return [fields[0], [int(fields[1])], int(fields[2])]

    for at in (T0, T0 + ttl - 1):
        read = signing.unsign(Purpose.DOCUMENT_DOWNLOAD, old, max_age=ttl, now=at, legacy=convert)
        assert read == ["d", [7], 3]
    # After its lifetime the old format is refused like any expired token.
    for late in (T0 + ttl, T0 + ttl + 1, T0 + 86_400):
        with pytest.raises(InvalidToken):
            signing.unsign(Purpose.DOCUMENT_DOWNLOAD, old, max_age=ttl, now=late, legacy=convert)


def test_a_legacy_token_is_refused_without_the_fallback_or_for_another_purpose():
    old = old_seal_payload(["d", "7", "3"], now=T0)
    with pytest.raises(InvalidToken):
        signing.unsign(Purpose.DOCUMENT_DOWNLOAD, old, max_age=300, now=T0)
    for purpose in (Purpose.PASSWORD_RESET, Purpose.REGISTRATION_CONFIRM):
        with pytest.raises(InvalidToken):
            signing.unsign(purpose, old, max_age=300, now=T0, legacy=_fields)


def test_a_tampered_legacy_token_is_refused():
    old = old_seal_payload(["d", "7", "3"], now=T0)
    body, mac = old.split(".")
    forged = b64(unb64(body).replace(b"d:7:", b"d:8:"))
    expires = str(int(T0 + get_settings().download_token_seconds)).encode()
    longer = b64(unb64(body).replace(expires, str(int(T0 + 9999)).encode()))
    assert longer != body
    for bad in (
        f"{forged}.{mac}",
        f"{longer}.{mac}",
        f"{body}.{_flip(mac, 0)}",
        f"{body}.{mac[:-1]}",
        f"{body}.{mac}x",
        f"{body}.{signing.sign(Purpose.DOCUMENT_DOWNLOAD, 1)[-43:]}",
        old + "=",
    ):
        with pytest.raises(InvalidToken):
            signing.unsign(Purpose.DOCUMENT_DOWNLOAD, bad, max_age=300, now=T0, legacy=_fields)


def test_a_converter_that_rejects_the_old_fields_refuses_the_token():
    old = old_seal_payload(["g", "not-a-number"], now=T0)

    def convert(fields):
        return int(fields[1])

    with pytest.raises(InvalidToken):
        signing.unsign(Purpose.DOCUMENT_DOWNLOAD, old, max_age=300, now=T0, legacy=convert)
