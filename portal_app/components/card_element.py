"""The Stripe card element, wrapped for Reflex pages.

The only JavaScript in the portal: Stripe.js is loaded from the configured URL (real Stripe, or
localstripe for tests and the demo), the card element is mounted into a box, and the two browser
steps Stripe requires (confirming a SetupIntent with the card, and 3-D Secure) run there. Each
script resolves to a small JSON string for a State handler; card data never reaches our server.
"""

from __future__ import annotations

import json

import reflex as rx

CARD_BOX_ID = "card-element"


def card_box() -> rx.Component:
    """Where the card element is mounted (call `mount_script` after the page loads)."""
    return rx.box(
        id=CARD_BOX_ID,
        padding="0.75em",
        border=f"1px solid {rx.color('gray', 7)}",
        border_radius="var(--radius-3)",
        background=rx.color("gray", 1),
        min_height="2.75em",
        width="100%",
        aria_label="Card details",
        role="group",
    )


def mount_script(js_url: str, publishable_key: str) -> str:
    """Load Stripe.js once and mount a fresh card element; resolves to '{"ok": true}'."""
    return f"""(async () => {{
  try {{
    if (!window.Stripe) {{
      await new Promise((resolve, reject) => {{
        const s = document.createElement('script');
        s.src = {json.dumps(js_url)};
        s.onload = resolve;
        s.onerror = () => reject(new Error('Stripe.js could not be loaded'));
        document.head.appendChild(s);
      }});
    }}
    const box = document.getElementById({json.dumps(CARD_BOX_ID)});
    if (!box) return JSON.stringify({{ok: false, error: 'no card box'}});
    window.__portalStripe = window.__portalStripe || window.Stripe({json.dumps(publishable_key)});
    if (window.__portalCard) {{ try {{ window.__portalCard.unmount(); }} catch (e) {{}} }}
    box.innerHTML = '';
    window.__portalCard = window.__portalStripe.elements().create('card');
    window.__portalCard.mount('#' + {json.dumps(CARD_BOX_ID)});
    return JSON.stringify({{ok: true}});
  }} catch (e) {{
    return JSON.stringify({{ok: false, error: String(e && e.message || e)}});
  }}
}})()"""


def confirm_setup_script(client_secret: str) -> str:
    """Confirm a SetupIntent with the mounted card; resolves to {"setup_intent", "error"}."""
    return f"""(async () => {{
  try {{
    const r = await window.__portalStripe.confirmCardSetup({json.dumps(client_secret)},
      {{payment_method: {{card: window.__portalCard}}}});
    return JSON.stringify({{
      setup_intent: r && r.setupIntent ? r.setupIntent.id : '',
      error: r && r.error ? (r.error.message || 'The card was refused.') : ''}});
  }} catch (e) {{
    return JSON.stringify({{setup_intent: '', error: String(e && e.message || e)}});
  }}
}})()"""


def confirm_payment_script(client_secret: str) -> str:
    """Run 3-D Secure for a PaymentIntent; resolves to {"error"} (the server reads the result)."""
    return f"""(async () => {{
  try {{
    const r = await window.__portalStripe.confirmCardPayment({json.dumps(client_secret)});
    const failed = r && r.error ? (r.error.message || 'Authentication failed.') : '';
    return JSON.stringify({{error: failed}});
  }} catch (e) {{
    return JSON.stringify({{error: String(e && e.message || e)}});
  }}
}})()"""


def parse_result(raw: object) -> dict:
    """The JSON a script resolved to, as a dict of strings (anything else is an error)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {str(k): v for k, v in data.items() if isinstance(v, str | bool)}
