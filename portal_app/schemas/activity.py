"""The client's activity page (services/company/client_activity.py): formatted strings only."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class ActivityRowView:
    """One thing someone did on the client's account, as the client may see it."""

    id: int
    when: str
    who: str
    text: str
    # viewed | downloaded | paid | approved | declined | plan | card (the row's icon)
    kind: str


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """One page of the activity, newest first."""

    rows: list[ActivityRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool
