"""Document views sent to the UI: formatted strings only, never the row or its file path."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.core.pickling import positional_pickle


@positional_pickle
@dataclass(frozen=True, slots=True)
class DocumentRowView:
    """One document in a list: what it is, how big, when, and what it belongs to."""

    id: int
    name: str
    type_label: str
    size: str
    date: str
    belongs_to: str  # "Account", "Invoice INV-0001", ...
    belongs_to_url: str  # "" when it belongs to the client itself
    preview: str  # "image" | "pdf" | "" (not previewable in the page)


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """One page of the document list."""

    rows: list[DocumentRowView]
    page: int
    page_size: int
    total: int
    total_is_capped: bool
    has_next: bool
