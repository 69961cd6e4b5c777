"""The signature pad's scripts: drawing on the canvas, clearing it, and handing the drawing
back as a PNG data URL (or a typed name written on it). Plain strings, used by the approval
dialog (components/quote_approval.py) and its state (state/quote_approval.py)."""

from __future__ import annotations

import json

PAD_ID = "signature-pad"
PAD_WIDTH = 480
PAD_HEIGHT = 160

# Installed once per page: draws on the canvas with id PAD_ID, whenever it is mounted.
INSTALL_PAD_SCRIPT = f"""(() => {{
  if (window.__portalSignaturePad) return 'ok';
  window.__portalSignaturePad = true;
  const id = {json.dumps(PAD_ID)};
  let drawing = false;
  const point = (c, e) => {{
    const r = c.getBoundingClientRect();
    return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height];
  }};
  document.addEventListener('pointerdown', (e) => {{
    const c = e.target;
    if (!c || c.id !== id) return;
    e.preventDefault();
    drawing = true;
    try {{ c.setPointerCapture(e.pointerId); }} catch (err) {{}}
    const g = c.getContext('2d');
    g.lineWidth = 2.5; g.lineCap = 'round'; g.lineJoin = 'round'; g.strokeStyle = '#111827';
    const [x, y] = point(c, e);
    g.beginPath(); g.moveTo(x, y); g.lineTo(x + 0.1, y + 0.1); g.stroke();
    c.dataset.inked = '1';
  }});
  document.addEventListener('pointermove', (e) => {{
    const c = e.target;
    if (!drawing || !c || c.id !== id) return;
    const g = c.getContext('2d');
    const [x, y] = point(c, e);
    g.lineTo(x, y); g.stroke();
  }});
  const stop = () => {{ drawing = false; }};
  document.addEventListener('pointerup', stop);
  document.addEventListener('pointercancel', stop);
  return 'ok';
}})()"""

CLEAR_PAD_SCRIPT = f"""(() => {{
  const c = document.getElementById({json.dumps(PAD_ID)});
  if (!c) return '';
  c.getContext('2d').clearRect(0, 0, c.width, c.height);
  delete c.dataset.inked;
  return '';
}})()"""


def signature_script(typed_name: str) -> str:
    """JS resolving to the canvas as a PNG data URL; a typed name is written on an empty pad."""
    return f"""(() => {{
  const c = document.getElementById({json.dumps(PAD_ID)});
  if (!c) return '';
  const typed = {json.dumps(typed_name.strip())};
  if (!c.dataset.inked && typed) {{
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    g.fillStyle = '#111827';
    g.font = 'italic 40px Georgia, serif';
    g.textBaseline = 'middle';
    g.fillText(typed, 16, c.height / 2, c.width - 32);
    c.dataset.inked = '1';
  }}
  if (!c.dataset.inked) return '';
  return c.toDataURL('image/png');
}})()"""
