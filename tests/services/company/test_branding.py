"""The company logo: checked, stored under the documents root, served and used by PDFs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.core.settings import get_settings
from portal_app.services.billing.party_views import logo_path
from portal_app.services.company import branding
from tests.helpers.staff import add_staff, staff_actor


@pytest.fixture
def documents_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCUMENTS_ROOT", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    get_settings.cache_clear()


def _png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_a_logo_is_stored_and_used_everywhere(make, session, documents_root):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x", role="admin"))
    url = branding.store_logo(session, actor=actor, data=_png())
    assert url.startswith("/api/branding/logo/") and url.endswith(".png")
    assert company.logo_path == url
    path, media_type = branding.logo_file(url.rsplit("/", 1)[1])
    assert path.read_bytes() == _png() and media_type == "image/png"
    assert path.is_relative_to(documents_root / "branding")
    assert logo_path(company) == str(path)


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4 not an image", b"\x89PNG\r\n\x1a\nbroken", b"GIF89a...."],
)
def test_bad_images_are_refused(make, session, documents_root, data):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x"))
    with pytest.raises(ValidationError):
        branding.store_logo(session, actor=actor, data=data)
    assert company.logo_path == ""


def test_too_large_and_staff_role_are_refused(make, session, documents_root):
    company = make.company()
    actor = staff_actor(add_staff(session, company, password_hash="x"))
    with pytest.raises(ValidationError):
        branding.store_logo(session, actor=actor, data=_png((4100, 10)))
    with pytest.raises(ValidationError):
        branding.store_logo(session, actor=actor, data=b"\x89PNG" + b"0" * (1024 * 1024 + 1))
    staff = staff_actor(add_staff(session, company, password_hash="x", role="staff"))
    with pytest.raises(ReadOnlyError):
        branding.store_logo(session, actor=staff, data=_png())


@pytest.mark.parametrize("name", ["../../etc/passwd", "x.png", "a" * 64 + ".gif", ""])
def test_only_stored_logo_names_are_served(name, documents_root):
    with pytest.raises(NotFoundError):
        branding.logo_file(name)
