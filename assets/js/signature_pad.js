// The quote approval's signature pad (ES module, imported on demand by `rx.call_script` calls
// built in portal_app/state/signature_pad.py): drawing on the canvas, clearing it, and handing
// the drawing back as a PNG data URL, or a typed name written on it, so the server always
// gets, and checks, one PNG.

const INK = "#111827";
let installed = false;

function point(c, e) {
  const r = c.getBoundingClientRect();
  return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height];
}

/** Draw on the canvas with id `padId` whenever it is in the page. Installed once per page by
 * event delegation on the document, as the approval dialog mounts the canvas later. */
export function install(padId) {
  if (installed) return "ok";
  installed = true;
  let drawing = false;
  document.addEventListener("pointerdown", (e) => {
    const c = e.target;
    if (!c || c.id !== padId) return;
    e.preventDefault();
    drawing = true;
    try {
      c.setPointerCapture(e.pointerId);
    } catch (err) {
      // A synthetic event has no pointer to capture; drawing still works.
    }
    const g = c.getContext("2d");
    g.lineWidth = 2.5;
    g.lineCap = "round";
    g.lineJoin = "round";
    g.strokeStyle = INK;
    const [x, y] = point(c, e);
    g.beginPath();
    g.moveTo(x, y);
    g.lineTo(x + 0.1, y + 0.1);
    g.stroke();
    c.dataset.inked = "1";
  });
  document.addEventListener("pointermove", (e) => {
    const c = e.target;
    if (!drawing || !c || c.id !== padId) return;
    const g = c.getContext("2d");
    const [x, y] = point(c, e);
    g.lineTo(x, y);
    g.stroke();
  });
  const stop = () => {
    drawing = false;
  };
  document.addEventListener("pointerup", stop);
  document.addEventListener("pointercancel", stop);
  return "ok";
}

/** Wipe the pad. */
export function clear(padId) {
  const c = document.getElementById(padId);
  if (!c) return "";
  c.getContext("2d").clearRect(0, 0, c.width, c.height);
  delete c.dataset.inked;
  return "";
}

/** The pad as a PNG data URL ('' when empty); a typed name is written on an empty pad first. */
export function read(padId, typedName) {
  const c = document.getElementById(padId);
  if (!c) return "";
  const typed = String(typedName || "").trim();
  if (!c.dataset.inked && typed) {
    const g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    g.fillStyle = INK;
    g.font = "italic 40px Georgia, serif";
    g.textBaseline = "middle";
    g.fillText(typed, 16, c.height / 2, c.width - 32);
    c.dataset.inked = "1";
  }
  if (!c.dataset.inked) return "";
  return c.toDataURL("image/png");
}
