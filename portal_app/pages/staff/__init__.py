"""Staff console pages; importing this package registers every page."""

from portal_app.pages.staff import (  # noqa: F401
    audit,
    client_detail,
    clients,
    login,
    logout,
    preview,
    settings,
)
