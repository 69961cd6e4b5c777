"""The web pages' default logo: right-sized and not preloaded (issue 23 item 3)."""

from __future__ import annotations

from PIL import Image

from portal_app.components.sign_in_form import sign_in_card
from portal_app.core import routes
from portal_app.core.settings import PROJECT_ROOT
from portal_app.layout import shell, staff_shell
from portal_app.pages.staff.login import StaffLoginState


def test_the_default_web_logo_is_twice_the_size_pages_show_it_at():
    small = PROJECT_ROOT / "assets" / routes.DEFAULT_LOGO.lstrip("/")
    with Image.open(small) as image:
        assert image.size == (80, 80)  # shown at 32 and 40 px
    assert small.stat().st_size < (PROJECT_ROOT / "assets" / "logo.png").stat().st_size / 2


def test_shells_and_sign_in_show_it_at_low_priority():
    # React preloads (high priority) every server-rendered <img> unless fetchPriority is low.
    for rendered in (
        str(shell._brand().render()),
        str(staff_shell._brand().render()),
        str(sign_in_card(StaffLoginState, "Staff console").render()),
    ):
        assert 'fetchPriority:"low"' in rendered
        assert f'"{routes.DEFAULT_LOGO}"' in rendered
        assert '"/logo.png"' not in rendered
