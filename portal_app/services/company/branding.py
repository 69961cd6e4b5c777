"""The company logo: uploaded by staff, kept under the documents root, served by our route.

Reflex's assets are built into the front end once, so a logo uploaded while the portal runs
lives in the file store (portal_app/storage) as branding/<sha256>.<ext> and Company.logo_path
holds its URL (/api/branding/logo/<file>); the PDF renderers read the same bytes from a file on
this host (party_views.logo_path; a shared store's logo is copied there once).
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from sqlmodel import Session

from portal_app import storage
from portal_app.core import routes
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.files import JPEG, PNG, detect_media_type
from portal_app.core.i18n import gettext
from portal_app.core.settings import get_settings
from portal_app.models import Company
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_roles import StaffAction, require_role

LOGO_URL_PREFIX = routes.API_BRANDING_LOGO.removesuffix("{name}")
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_SIDE = 4000
_EXTENSIONS = {PNG: "png", JPEG: "jpg"}
BRANDING_DIR = "branding"
_FILE_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg)")


def branding_dir() -> Path:
    """Where logos are kept in a local store (never Reflex's public upload folder)."""
    return Path(get_settings().documents_root) / BRANDING_DIR


def _logo_key(name: str) -> str:
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name):
        raise NotFoundError("logo")
    return f"{BRANDING_DIR}/{name}"


def logo_file(name: str) -> tuple[Path | storage.StoredObject, str]:
    """(the file's path in a local store or the opened object of another, media type) of a
    stored logo by its file name; NotFoundError otherwise."""
    key = _logo_key(name)
    store = storage.get_store()
    media_type = PNG if name.endswith(".png") else JPEG
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise NotFoundError("logo")
        return path, media_type
    try:
        return store.open(key), media_type
    except storage.ObjectNotFound as exc:
        raise NotFoundError("logo") from exc


def logo_file_for(logo_path: str) -> str:
    """A file on this host with the logo behind a Company.logo_path that is one of our uploaded
    logos (for the PDF renderer; copied from a shared store once), or ''."""
    if not logo_path.startswith(LOGO_URL_PREFIX):
        return ""
    try:
        key = _logo_key(logo_path.removeprefix(LOGO_URL_PREFIX))
        return str(storage.cached_local_path(key))
    except NotFoundError:
        return ""


def _check_image(data: bytes) -> str:
    media_type = detect_media_type(data)
    if media_type not in _EXTENSIONS:
        raise ValidationError("logo", gettext("Upload a PNG or JPEG image."))
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError("logo", gettext("This image could not be read.")) from None
    if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
        raise ValidationError(
            "logo",
            gettext("Use an image of at most %(max)d pixels a side.") % {"max": MAX_LOGO_SIDE},
        )
    return media_type


def store_logo(session: Session, *, actor: StaffActor, data: bytes) -> str:
    """Check and keep a new logo for the actor's company; return its URL. Owners/admins only."""
    require_role(actor, StaffAction.EDIT_SETTINGS)
    if not isinstance(data, bytes) or not data:
        raise ValidationError("logo", gettext("Choose an image file."))
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError("logo", gettext("The logo may be at most 1 MB."))
    media_type = _check_image(data)
    name = f"{hashlib.sha256(data).hexdigest()}.{_EXTENSIONS[media_type]}"
    store = storage.get_store()
    if not store.exists(f"{BRANDING_DIR}/{name}"):
        store.put(f"{BRANDING_DIR}/{name}", data)
    company = session.get(Company, actor.company_id)
    if company is None:
        raise NotFoundError("company")
    company.logo_path = LOGO_URL_PREFIX + name
    session.add(company)
    audit.record(
        session,
        company_id=company.id,
        action="logo_changed",
        actor_type="staff",
        actor_id=actor.staff_user_id,
        entity_type="company",
        entity_id=company.id,
        ip=actor.ip,
        details={"size": len(data)},
    )
    return company.logo_path
