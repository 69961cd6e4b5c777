"""What the session check already read, kept for the rest of one database session.

Every event of a signed-in page resolves its actor first (`auth.resolve_actor`), and that one
query also reads the company's enabled modules and the client's and company's locales. The
services then ask for exactly those (`modules.is_enabled`, `locale.client_locale`), which
used to cost a query each. They look here first; a Company or Client already loaded in the
session wins over the memo, so a change made through the ORM in the same session is seen.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

_KEY = "portal_memo"


def remember(session: Session, kind: str, ident: int, value: Any) -> None:
    """Keep `value` for (`kind`, `ident`) while this session lasts."""
    session.info.setdefault(_KEY, {})[(kind, ident)] = value


def recall(session: Session, kind: str, ident: int) -> Any | None:
    """What `remember` kept for (`kind`, `ident`) in this session, or None."""
    return session.info.get(_KEY, {}).get((kind, ident))


def loaded(session: Session, model: type, ident: int) -> Any | None:
    """The `model` row with primary key `ident` if this session already holds it (no query)."""
    return session.identity_map.get(Session.identity_key(model, ident))
