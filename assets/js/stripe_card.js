// The Stripe card element for the portal's card forms (ES module, imported on demand by
// `rx.call_script` calls built in portal_app/components/card_element.py).
//
// Stripe.js is loaded from the URL the server names (real Stripe, or localstripe in tests and
// the demo); the card element is mounted into the box with the id the server names; the two
// browser steps Stripe requires (confirming a SetupIntent with the card, and 3-D Secure) run
// here. Every function resolves to a small JSON string for a State handler and never throws:
// card data never reaches our server, and an error is reported, not lost in the console.

// One Stripe object and one mounted card element per page load (module state outlives
// client-side navigation, as the element must between mount and confirm).
let card = null;
// Stripe.js is fetched only when a card step first needs it (not with the page: it costs
// ~600 ms of main-thread work). Every function that needs `Stripe` awaits this one promise,
// so a confirm that runs before (or without) a mount loads it once too.
let stripeReady = null;

const message = (e) => String((e && e.message) || e);

function injectScript(jsUrl) {
  if (window.Stripe) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = jsUrl;
    s.onload = resolve;
    s.onerror = () => reject(new Error("Stripe.js could not be loaded"));
    document.head.appendChild(s);
  });
}

/** The page's Stripe object, loading Stripe.js from `jsUrl` on the first call (a failed load
 * is forgotten, so the next call tries again). */
function loadStripe(jsUrl, publishableKey) {
  if (!stripeReady) {
    stripeReady = injectScript(jsUrl).then(() => window.Stripe(publishableKey));
    stripeReady.catch(() => {
      stripeReady = null;
    });
  }
  return stripeReady;
}

/** The Stripe object a mount (or an earlier load) made; an error if none was asked for. */
function loadedStripe() {
  return stripeReady || Promise.reject(new Error("Stripe.js is not loaded"));
}

async function waitForBox(boxId, waitMs) {
  // The box may appear with the data the same event loads, so React may not have rendered it
  // yet when this runs: look again every 50 ms until `waitMs` has passed.
  for (let waited = 0; waited < waitMs && !document.getElementById(boxId); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return document.getElementById(boxId);
}

/** Load Stripe.js once and mount a fresh card element in `boxId`; '{"ok": true}' or an error.
 * `waitMs`: how long to wait for the box to be rendered (0: it must be there already). */
export async function mount(jsUrl, publishableKey, boxId, waitMs = 0) {
  try {
    const box = await waitForBox(boxId, waitMs);
    if (!box) return JSON.stringify({ ok: false, error: "no card box" });
    const stripe = await loadStripe(jsUrl, publishableKey);
    if (card) {
      try {
        card.unmount();
      } catch (e) {
        // Already gone with the page that held it.
      }
    }
    box.innerHTML = "";
    card = stripe.elements().create("card");
    card.mount("#" + boxId);
    return JSON.stringify({ ok: true });
  } catch (e) {
    return JSON.stringify({ ok: false, error: message(e) });
  }
}

/** Confirm a SetupIntent with the mounted card; '{"setup_intent", "error"}'. */
export async function confirmSetup(clientSecret) {
  try {
    const stripe = await loadedStripe();
    const r = await stripe.confirmCardSetup(clientSecret, { payment_method: { card } });
    return JSON.stringify({
      setup_intent: r && r.setupIntent ? r.setupIntent.id : "",
      error: r && r.error ? r.error.message || "The card was refused." : "",
    });
  } catch (e) {
    return JSON.stringify({ setup_intent: "", error: message(e) });
  }
}

/** Create a PaymentMethod from the mounted card, without confirming anything (the server
 * charges it, and keeps it when asked, in one confirmation); '{"payment_method", "error"}'. */
export async function createMethod() {
  try {
    const stripe = await loadedStripe();
    const r = await stripe.createPaymentMethod({ type: "card", card });
    return JSON.stringify({
      payment_method: r && r.paymentMethod ? r.paymentMethod.id : "",
      error: r && r.error ? r.error.message || "The card was refused." : "",
    });
  } catch (e) {
    return JSON.stringify({ payment_method: "", error: message(e) });
  }
}

/** Run 3-D Secure for a PaymentIntent; '{"error"}' (the server reads the outcome itself).
 * A saved card's payment has no card element on the page: Stripe.js is loaded here then. */
export async function confirmPayment(jsUrl, publishableKey, clientSecret) {
  try {
    const stripe = await loadStripe(jsUrl, publishableKey);
    const r = await stripe.confirmCardPayment(clientSecret);
    return JSON.stringify({ error: r && r.error ? r.error.message || "Authentication failed." : "" });
  } catch (e) {
    return JSON.stringify({ error: message(e) });
  }
}
