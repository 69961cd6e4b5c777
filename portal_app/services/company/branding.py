"""The company logo: uploaded by staff, kept under the documents root, served by our route.

Reflex's assets are built into the front end once, so a logo uploaded while the portal runs
lives in DOCUMENTS_ROOT/branding/<sha256>.<ext> and Company.logo_path holds its URL
(/api/branding/logo/<file>); the PDF renderers read the same file (party_views.logo_path).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

from sqlmodel import Session

from portal_app.core import routes
from portal_app.core.errors import NotFoundError, ValidationError
from portal_app.core.files import JPEG, PNG, detect_media_type
from portal_app.core.settings import get_settings
from portal_app.models import Company
from portal_app.services.identity import audit
from portal_app.services.identity.actor import StaffActor
from portal_app.services.identity.staff_auth import require_admin

LOGO_URL_PREFIX = routes.API_BRANDING_LOGO.removesuffix("{name}")
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_SIDE = 4000
_EXTENSIONS = {PNG: "png", JPEG: "jpg"}
_FILE_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg)")


def branding_dir() -> Path:
    """Where logos are kept (never Reflex's public upload folder)."""
    return Path(get_settings().documents_root) / "branding"


def logo_file(name: str) -> tuple[Path, str]:
    """(path, media type) of a stored logo by its file name; NotFoundError otherwise."""
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name):
        raise NotFoundError("logo")
    path = branding_dir() / name
    if not path.is_file():
        raise NotFoundError("logo")
    return path, PNG if name.endswith(".png") else JPEG


def logo_file_for(logo_path: str) -> str:
    """The file behind a Company.logo_path that is one of our uploaded logos, or ''."""
    if not logo_path.startswith(LOGO_URL_PREFIX):
        return ""
    try:
        return str(logo_file(logo_path.removeprefix(LOGO_URL_PREFIX))[0])
    except NotFoundError:
        return ""


def _check_image(data: bytes) -> str:
    media_type = detect_media_type(data)
    if media_type not in _EXTENSIONS:
        raise ValidationError("logo", "Upload a PNG or JPEG image.")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError("logo", "This image could not be read.") from None
    if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
        raise ValidationError("logo", f"Use an image of at most {MAX_LOGO_SIDE} pixels a side.")
    return media_type


def store_logo(session: Session, *, actor: StaffActor, data: bytes) -> str:
    """Check and keep a new logo for the actor's company; return its URL. Owners/admins only."""
    require_admin(actor)
    if not isinstance(data, bytes) or not data:
        raise ValidationError("logo", "Choose an image file.")
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError("logo", "The logo may be at most 1 MB.")
    media_type = _check_image(data)
    name = f"{hashlib.sha256(data).hexdigest()}.{_EXTENSIONS[media_type]}"
    folder = branding_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
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
