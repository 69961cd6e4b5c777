"""The company's enabled portal modules: a switched-off module is closed, not just hidden."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.core.errors import NotFoundError
from portal_app.models import Company
from portal_app.services.identity import link_scope, session_memo
from portal_app.services.identity.actor import Actor


def is_enabled(session: Session, *, company_id: int, module: str) -> bool:
    """Whether the company shows `module` in its portal."""
    company = session_memo.loaded(session, Company, company_id)
    if company is None:
        remembered = session_memo.recall(session, "modules", company_id)
        if remembered is not None:  # read by this session's session check
            return module in remembered
        company = session.get(Company, company_id)
    return company is not None and module in company.module_list()


def require(session: Session, *, actor: Actor, module: str) -> None:
    """NotFoundError when the actor's company has switched `module` off, and
    `link_scope.FullSessionRequired` (a NotFoundError) when an e-mailed-link session reaches
    a part of the account beyond its linked document."""
    if not is_enabled(session, company_id=actor.company_id, module=module):
        raise NotFoundError(module)
    link_scope.require_module(actor, module)
