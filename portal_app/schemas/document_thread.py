"""Views of a question or dispute thread on an invoice or quote: formatted strings only."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class ThreadMessageView:
    """One message as the page shows it."""

    id: int
    author: str
    from_staff: bool
    body: str
    when: str
    attachment_id: int = 0  # 0: no file
    attachment_name: str = ""


@positional_pickle
@dataclass(frozen=True, slots=True)
class ThreadView:
    """The conversation about one document, for the client or for staff.

    kind: "question" | "dispute" ("" before the first message); status: "open" | "resolved"
    | ""; status_label is translated for the reader.
    """

    document_type: str  # "invoice" | "quote"
    document_id: int
    kind: str = ""
    status: str = ""
    status_label: str = ""
    messages: list[ThreadMessageView] = field(default_factory=list)
    may_dispute: bool = False  # an invoice may be disputed; a quote is declined instead
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class StaffThreadRow:
    """One thread on the staff list of questions and disputes."""

    thread_id: int
    document: str  # "Invoice INV-0001"
    document_url: str
    client: str
    kind: str
    status: str
    awaiting_staff: bool
    last_message: str
    excerpt: str
