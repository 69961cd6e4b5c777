// Navigation the portal's State handlers ask of the browser (ES module, imported on demand by
// `rx.call_script` calls built in portal_app/state/portal.py).

/** Submit an empty form by POST to `url`: the browser sends our Origin, and navigates to the
 * answer (Set-Cookie and redirect included). Sign-out and leaving a preview use it. */
export function post(url) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = url;
  document.body.appendChild(form);
  form.submit();
}

/** Load the page again (after the language changed: texts built on the server follow). */
export function reload() {
  window.location.reload();
}
