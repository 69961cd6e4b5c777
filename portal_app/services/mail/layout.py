"""One look for every e-mail a client contact gets: the company's logo (when it uploaded one)
and name in its brand colour, a greeting, the message's paragraphs, one link to act on, the
company's name under it and, for an optional message, the unsubscribe line. Plain text and
HTML carry the same words.

The caller translates (it runs under `core.i18n.use_language` of the contact); this module only
escapes and lays out. Texts from the database (names) are escaped in the HTML part.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from portal_app.branding import safe_color
from portal_app.core.i18n import _

# The width e-mail clients keep readable; inline styles because many strip <style>.
_WIDTH = "max-width:560px;margin:0 auto;font-family:Arial,Helvetica,sans-serif;color:#1f2937"


@dataclass(frozen=True, slots=True)
class Branding:
    """What of the company an e-mail shows: its name, its brand colour (#rrggbb) and the
    absolute URL of its uploaded logo ('' for none)."""

    name: str
    color: str
    logo_url: str = ""


@dataclass(frozen=True, slots=True)
class Body:
    """A message's own words: subject, paragraphs, and the link to act on (text, URL)."""

    subject: str
    paragraphs: Sequence[str]
    action: str = ""
    link: str = ""


def branding(name: str, color: object, logo_url: str = "") -> Branding:
    """The branding of a company's e-mails (a colour that is not #rrggbb becomes the default;
    a logo URL that is not http(s) is left out)."""
    logo = logo_url if logo_url.startswith(("https://", "http://")) else ""
    return Branding(" ".join(name.split()), safe_color(color), logo)


def render(
    body: Body, *, brand: Branding, recipient_name: str, unsubscribe: str = ""
) -> dict[str, str]:
    """Subject, plain text and HTML of one e-mail in the current language."""
    hello = _("Hello %(name)s,") % {"name": recipient_name}
    stop = _("To stop e-mails of this kind, open this link:") if unsubscribe else ""
    text = [hello, "", *[p for par in body.paragraphs for p in (par, "")]]
    if body.link:
        text += [body.action, body.link, ""]
    text.append(brand.name)
    if unsubscribe:
        text += ["", "-- ", stop, unsubscribe]
    esc = html.escape
    parts = [
        f'<div style="{_WIDTH}">',
        (
            f'<p><img src="{esc(brand.logo_url, quote=True)}" alt="{esc(brand.name, quote=True)}"'
            ' style="max-height:48px;max-width:200px"></p>'
            if brand.logo_url
            else ""
        ),
        f'<p style="font-size:18px;font-weight:bold;color:{brand.color};'
        f'border-bottom:3px solid {brand.color};padding-bottom:8px">{esc(brand.name)}</p>',
        f"<p>{esc(hello)}</p>",
        *[f"<p>{esc(p)}</p>" for p in body.paragraphs],
    ]
    if body.link:
        parts.append(
            f'<p>{esc(body.action)}<br><a href="{esc(body.link, quote=True)}" '
            f'style="color:{brand.color}">{esc(body.link)}</a></p>'
        )
    parts.append(f"<p>{esc(brand.name)}</p>")
    if unsubscribe:
        parts.append(
            f'<hr><p><small>{esc(stop)} <a href="{esc(unsubscribe, quote=True)}">'
            f"{esc(unsubscribe)}</a></small></p>"
        )
    parts.append("</div>")
    subject = " ".join(body.subject.split())[:200]
    return {"subject": subject, "text": "\n".join(text) + "\n", "html": "".join(parts)}
