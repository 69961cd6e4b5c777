"""The Reflex app: the HTTP routes, the middleware and the pages of the route table."""

import importlib

import reflex as rx

from portal_app import reflex_ext
from portal_app.api.routes import api
from portal_app.backend_errors import backend_exception_handler
from portal_app.core.gc_tuning import tune_collector
from portal_app.core.settings import get_settings
from portal_app.jobs.scheduler import run_jobs_periodically, run_outbox_periodically
from portal_app.logging_setup import configure_logging
from portal_app.pages.route_table import PAGES, add_pages
from portal_app.reflex_ext.asgi import backend_transformers
from portal_app.state.portal import LEDGER_PUSH

# Once per process, before anything logs: each backend worker imports this module.
configure_logging(get_settings())

app = rx.App(
    # Our /api routes, the upload guard around Reflex's /_upload and the security headers
    # around every response (see portal_app/reflex_ext/asgi.py).
    api_transformer=backend_transformers(api),
    head_components=[rx.el.link(rel="icon", href="/favicon.ico")],
    # A failed event (PostgreSQL or Redis unreachable included) gets a plain message.
    backend_exception_handler=backend_exception_handler,
)
# The Redis lock fix, the event log, tab push and inline page loads, each only on a Reflex
# version they were tested with (see portal_app/reflex_ext/__init__.py).
reflex_ext.install(app, ledger_push=LEDGER_PUSH)
# Recurring invoices, renewals and link expiry every PORTAL_JOBS_INTERVAL_MINUTES (0 = off);
# one worker at a time runs them (see portal_app/jobs/lock.py).
app.register_lifespan_task(run_jobs_periodically)
# Queued e-mails every PORTAL_OUTBOX_INTERVAL_SECONDS (0 = only with the jobs above).
app.register_lifespan_task(run_outbox_periodically)

# Every page, from the route table; add-on modules named in PORTAL_EXTRA_PAGES bring a PAGES
# list of their own (docs/extending.md).
add_pages(app, PAGES)
for _module in filter(None, (m.strip() for m in get_settings().extra_page_modules.split(","))):
    add_pages(app, importlib.import_module(_module).PAGES)

# Last, with the app built: start-up's objects frozen and young objects collected less often
# (a quarter of a worker's CPU per action went to the collector; core/gc_tuning.py).
tune_collector()
