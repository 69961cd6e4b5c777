"""What the staff e-mail outbox page shows: formatted strings only."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class OutboxRowView:
    """One queued, sending, sent or failed e-mail as staff read it."""

    id: int
    queued_at: str
    kind: str
    recipient: str
    subject: str
    status: str
    status_label: str
    attempts: int
    next_attempt: str
    error: str
    error_detail: str
    sent_at: str
    can_retry: bool


@dataclass(frozen=True, slots=True)
class OutboxPage:
    """One page of the company's outbox, newest first."""

    rows: list[OutboxRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool
