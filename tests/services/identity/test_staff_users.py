"""Owners change other staff users' roles and deactivate them; nobody changes themselves."""

from __future__ import annotations

import pytest
from sqlmodel import select

from portal_app.core.errors import NotFoundError, ReadOnlyError, ValidationError
from portal_app.models import AuditEvent, AuthSession
from portal_app.services.identity import staff_auth, staff_users
from tests.helpers.staff import add_staff, staff_actor


def _team(make, session):
    company = make.company()
    owner = add_staff(session, company, password_hash="x", name="Olive Owner", role="owner")
    admin = add_staff(session, company, password_hash="x", name="Ada Admin", role="admin")
    sam = add_staff(session, company, password_hash="x", name="Sam Staff", role="staff")
    return company, owner, admin, sam


def test_the_list_shows_the_company_owners_first_and_marks_you(make, session):
    company, owner, admin, sam = _team(make, session)
    add_staff(session, make.company(), password_hash="x", name="Elsewhere")
    rows = staff_users.list_staff(session, actor=staff_actor(sam))
    assert [(r.name, r.role_label, r.is_you) for r in rows] == [
        ("Olive Owner", "Owner", False),
        ("Ada Admin", "Admin", False),
        ("Sam Staff", "Staff", True),
    ]


def test_an_owner_changes_a_role_and_it_is_audited(make, session):
    company, owner, admin, sam = _team(make, session)
    staff_users.set_staff_role(
        session, actor=staff_actor(owner), staff_user_id=sam.id, role="admin"
    )
    session.refresh(sam)
    assert sam.role == "admin"
    [event] = session.exec(
        select(AuditEvent).where(
            AuditEvent.company_id == company.id, AuditEvent.action == "staff_role_changed"
        )
    ).all()
    assert (event.actor_id, event.entity_id) == (owner.id, sam.id)
    assert '"from": "staff"' in event.details and '"to": "admin"' in event.details
    # The same role again records nothing more.
    staff_users.set_staff_role(
        session, actor=staff_actor(owner), staff_user_id=sam.id, role="admin"
    )
    mine = select(AuditEvent).where(
        AuditEvent.company_id == company.id, AuditEvent.entity_type == "staff_user"
    )
    assert len(session.exec(mine).all()) == 1


def test_admins_and_staff_may_not_change_staff_users(make, session):
    company, owner, admin, sam = _team(make, session)
    for actor in (staff_actor(admin), staff_actor(sam)):
        with pytest.raises(ReadOnlyError, match="Only an owner"):
            staff_users.set_staff_role(session, actor=actor, staff_user_id=owner.id, role="staff")
        with pytest.raises(ReadOnlyError):
            staff_users.set_staff_active(session, actor=actor, staff_user_id=owner.id, active=False)
    session.refresh(owner)
    assert (owner.role, owner.is_active) == ("owner", True)


def test_nobody_changes_themselves_and_bad_roles_or_foreign_users_are_refused(make, session):
    company, owner, admin, sam = _team(make, session)
    me = staff_actor(owner)
    with pytest.raises(ValidationError, match="yourself"):
        staff_users.set_staff_role(session, actor=me, staff_user_id=owner.id, role="staff")
    with pytest.raises(ValidationError, match="yourself"):
        staff_users.set_staff_active(session, actor=me, staff_user_id=owner.id, active=False)
    for bad in ("root", "", None, "Owner "):
        with pytest.raises(ValidationError):
            staff_users.set_staff_role(session, actor=me, staff_user_id=sam.id, role=bad)
    stranger = add_staff(session, make.company(), password_hash="x")
    for raw in (stranger.id, "x", -1, 2**40):
        with pytest.raises(NotFoundError):
            staff_users.set_staff_role(session, actor=me, staff_user_id=raw, role="staff")
    session.refresh(stranger)
    assert stranger.role == "owner"


def test_deactivating_ends_the_sessions_and_reactivating_lets_them_sign_in(make, session):
    company, owner, admin, sam = _team(make, session)
    opened = staff_auth.open_staff_session(session, user=sam)
    assert staff_auth.resolve_staff_actor(session, token=opened.token) is not None
    staff_users.set_staff_active(
        session, actor=staff_actor(owner), staff_user_id=sam.id, active=False
    )
    session.expire_all()
    assert staff_auth.resolve_staff_actor(session, token=opened.token) is None
    rows = session.exec(select(AuthSession).where(AuthSession.staff_user_id == sam.id)).all()
    assert rows and all(row.revoked_at is not None for row in rows)
    assert [r.active for r in staff_users.list_staff(session, actor=staff_actor(owner))][
        -1
    ] is False
    staff_users.set_staff_active(
        session, actor=staff_actor(owner), staff_user_id=sam.id, active=True
    )
    session.refresh(sam)
    assert sam.is_active
    actions = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.company_id == company.id, AuditEvent.entity_type == "staff_user")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["staff_deactivated", "staff_activated"]
