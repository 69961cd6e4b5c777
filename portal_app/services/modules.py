"""The company's enabled portal modules: a switched-off module is closed, not just hidden."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.models import Company
from portal_app.services.actor import Actor
from portal_app.services.errors import NotFoundError


def is_enabled(session: Session, *, company_id: int, module: str) -> bool:
    """Whether the company shows `module` in its portal."""
    company = session.get(Company, company_id)
    return company is not None and module in company.module_list()


def require(session: Session, *, actor: Actor, module: str) -> None:
    """NotFoundError when the actor's company has switched `module` off."""
    if not is_enabled(session, company_id=actor.company_id, module=module):
        raise NotFoundError(module)
