"""Two hosts behind a load balancer, as docs/deploy.md lays them out: two backend processes
sharing PostgreSQL, Redis and an S3 bucket (moto's server, a real S3 API), each with a local
folder of its own (DOCUMENTS_ROOT, Reflex's work folder) that the other never sees.

What must hold when the load balancer sends a browser's requests to either host: a document
uploaded through one is downloaded through the other, a statement PDF built on one is fetched
from the other, a websocket session moves between them with its state, and the scheduled jobs
and the e-mail outbox, which every host runs, do each piece of work once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from portal_app import storage
from portal_app.models import Client, Company
from portal_app.services.mail import outbox
from tests.deploy.conftest import PASSWORD, Account, Worker, make_account, wait_unlinked
from tests.helpers.mailbox import Mailbox, free_port, serve
from tests.helpers.recurring import add_recurring
from tests.helpers.reflex_protocol import PORTAL, SESSION_COOKIE, Tab, page_state, sign_in
from tests.helpers.s3 import S3_KEY_ID, S3_REGION, S3_SECRET, moto_url, s3_client  # noqa: F401

DOCUMENTS = page_state("documents", "documents_state")
STATEMENT = page_state("statement", "statement_state")
PREFIX = "portal"
# A small PDF (what the upload's type sniffing accepts as application/pdf).
PDF = b"%PDF-1.4\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"
# How long the in-app schedule may take to make its first run on both hosts: it starts 30 s
# after a worker comes up plus up to 10 s of spread (jobs/scheduler.py), with margin.
FIRST_JOB_RUN_SECONDS = 90
ISSUED = re.compile(r"'recurring_invoices': \{'issued': (\d+)")


@dataclass
class Host:
    """One "machine": its worker and its own local folder."""

    name: str
    worker: Worker
    documents_root: Path

    @property
    def url(self) -> str:
        return self.worker.base_url


@dataclass
class Cluster:
    a: Host
    b: Host
    bucket: str
    s3_endpoint: str
    account: Account
    schedule_id: int
    mail_to: str
    mailbox: Mailbox

    def objects(self) -> list[str]:
        """Every key in the shared bucket."""
        listing = s3_client(self.s3_endpoint).list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]


def _files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture(scope="module")
def mailbox() -> Mailbox:
    """One SMTP server both hosts send through, for the module."""
    with serve(Mailbox(), port := free_port()) as box:
        box.port = port  # type: ignore[attr-defined]
        yield box


@pytest.fixture(scope="module")
def cluster(
    start_worker,
    db_engine,
    password_hash,
    moto_url,  # noqa: F811 (the fixture imported above)
    mailbox,
    tmp_path_factory,
) -> Cluster:
    """Work waiting for the jobs (a recurring invoice due today, one queued e-mail), then two
    hosts started on the shared database, Redis and bucket, each with its own folders."""
    bucket = f"portal-hosts-{secrets.token_hex(5)}"
    s3_client(moto_url).create_bucket(Bucket=bucket)
    account = make_account(db_engine, password_hash)
    mail_to = f"outbox-{uuid.uuid4().hex[:8]}@example.test"
    with Session(db_engine, expire_on_commit=False) as session:
        company = session.get(Company, account.company_id)
        company.allow_client_uploads = True
        client = session.get(Client, account.client_id)
        schedule = add_recurring(session, client, number="R-hosts", start_date=date.today())
        outbox.queue_email(
            session,
            company_id=account.company_id,
            idempotency_key=f"two-hosts-{mail_to}",
            kind="test",
            to=mail_to,
            subject="Sent once",
            text="Whichever host gets there first sends this, and only once.",
        )
        session.commit()

    def host(name: str) -> Host:
        folder = tmp_path_factory.mktemp(f"host-{name}")
        worker = start_worker(
            STORAGE_BACKEND="s3",
            S3_BUCKET=bucket,
            S3_PREFIX=PREFIX,
            S3_ENDPOINT_URL=moto_url,
            S3_REGION=S3_REGION,
            S3_ACCESS_KEY_ID=S3_KEY_ID,
            S3_SECRET_ACCESS_KEY=S3_SECRET,
            DOCUMENTS_ROOT=str(folder / "documents"),
            REFLEX_WEB_WORKDIR=str(folder / "web"),
            PORTAL_JOBS_INTERVAL_MINUTES="1",
            PORTAL_OUTBOX_INTERVAL_SECONDS="1",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(mailbox.port),
            SMTP_STARTTLS="false",
        )
        return Host(name, worker, folder / "documents")

    return Cluster(host("a"), host("b"), bucket, moto_url, account, schedule.id, mail_to, mailbox)


def _upload(host: Host, tab: Tab, name: str, data: bytes) -> str:
    """POST a file to `host`'s /_upload for the documents page's upload handler, as the
    browser's upload button does; returns the handler's streamed updates."""
    response = httpx.post(
        f"{host.url}/_upload",
        headers={
            "Reflex-Client-Token": tab.token,
            "Reflex-Event-Handler": f"{DOCUMENTS}.upload",
        },
        cookies={SESSION_COOKIE: tab.cookies[SESSION_COOKIE]},
        files=[("files", (name, data, "application/pdf"))],
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.text


def _download(host: Host, tab: Tab, path: str) -> httpx.Response:
    """GET one of our download URLs from `host` with the tab's session cookie."""
    return httpx.get(
        f"{host.url}{path}", cookies={SESSION_COOKIE: tab.cookies[SESSION_COOKIE]}, timeout=30
    )


async def _move(tab: Tab, to: Host, path: str) -> dict[str, dict]:
    """The socket drops and the browser reconnects through the load balancer to the other
    host (same tab token, same cookie); returns the hydrate snapshot it gets there."""
    tab.state.clear()
    await tab.close()
    await wait_unlinked(tab.token)
    await tab.open(path, base_url=to.url)
    return await tab.snapshot()


def _document_names(tab: Tab) -> list[str]:
    return [row["name"] for row in tab.var(DOCUMENTS, "rows", [])]


def test_a_document_uploaded_on_one_host_downloads_from_the_other(cluster: Cluster):
    a, b = cluster.a, cluster.b
    name = f"contract-{uuid.uuid4().hex[:6]}.pdf"

    async def scenario() -> httpx.Response:
        tab = Tab(a.url)
        await sign_in(tab, cluster.account.email, PASSWORD, next_path="/client/documents")
        await tab.wait_for(lambda t: t.var(DOCUMENTS, "can_upload") is True, "uploads allowed")
        streamed = await asyncio.to_thread(_upload, a, tab, name, PDF)
        assert f"Uploaded {name}" in streamed

        # Host b lists it (the row is in the shared database) ...
        snapshot = await _move(tab, b, "/client/documents")
        assert snapshot[PORTAL]["signed_in"] is True
        await tab.wait_for(lambda t: name in _document_names(t), "the uploaded document")
        row = next(r for r in tab.var(DOCUMENTS, "rows") if r["name"] == name)
        # ... and serves its bytes (they are in the shared bucket, not on host a's disk).
        since = len(tab.frontend_events)
        await tab.send(f"{DOCUMENTS}.download", {"document_id": row["id"]})
        event = await tab.wait_for_frontend_event("_download", since)
        response = await asyncio.to_thread(_download, b, tab, event["payload"]["url"])
        await tab.close()
        return response

    response = asyncio.run(scenario())
    assert response.status_code == 200, response.text
    assert response.content == PDF
    assert name in response.headers["content-disposition"]
    sha = hashlib.sha256(PDF).hexdigest()
    assert f"{PREFIX}/{storage.content_key(sha)}" in cluster.objects()
    for host in (a, b):
        assert not any(sha in path.name for path in _files_under(host.documents_root))


def test_a_statement_built_on_one_host_is_fetched_from_the_other(cluster: Cluster):
    """The tab's choices and its finished build move with the socket; the signed URL built on
    host a is served by host b from the bucket."""
    a, b = cluster.a, cluster.b

    async def scenario() -> tuple[dict, httpx.Response, httpx.Response]:
        tab = Tab(a.url)
        await sign_in(tab, cluster.account.email, PASSWORD, next_path="/client/statement")
        await tab.wait_for(lambda t: t.var(STATEMENT, "loading") is False, "statement")
        await tab.send(f"{STATEMENT}.choose_status", {"value": "unpaid"})
        await tab.send(f"{STATEMENT}.toggle_aging", {"checked": False})
        await tab.wait_for(lambda t: t.var(STATEMENT, "show_aging") is False, "aging off")
        since = len(tab.frontend_events)
        await tab.send(f"{STATEMENT}.build_pdf")
        event = await tab.wait_for_frontend_event("_download", since)
        url = event["payload"]["url"]

        snapshot = await _move(tab, b, "/client/statement")
        moved = snapshot[STATEMENT]
        response = await asyncio.to_thread(_download, b, tab, url)
        # A URL for another session is refused by either host (the token binds the session).
        stranger = Tab(b.url)
        await sign_in(stranger, cluster.account.email, PASSWORD, next_path="/client/statement")
        refused = await asyncio.to_thread(_download, b, stranger, url)
        for each in (tab, stranger):
            await each.close()
        return moved, response, refused

    moved, response, refused = asyncio.run(scenario())
    assert moved["status"] == "unpaid" and moved["show_aging"] is False
    assert moved["build_status"] == "done" and moved["build_url"]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert refused.status_code == 404
    company, client = cluster.account.company_id, cluster.account.client_id
    generated = f"{PREFIX}/generated/{company}/{client}/"
    assert any(key.startswith(generated) for key in cluster.objects()), cluster.objects()
    for host in (a, b):
        assert _files_under(host.documents_root / "generated") == []


def _log_entries(host: Host, logger: str) -> list[dict]:
    entries = []
    for raw in host.worker.log().splitlines():
        if raw.startswith("{"):
            entry = json.loads(raw)
            if entry.get("logger") == logger:
                entries.append(entry)
    return entries


def test_every_host_runs_the_jobs_and_each_piece_of_work_is_done_once(cluster: Cluster, db_engine):
    """Both hosts run the in-app schedule (PORTAL_JOBS_INTERVAL_MINUTES) and the outbox sender
    (every second here); the job lock and the records' conditional claims mean the recurring
    invoice due today is issued once and the queued e-mail is sent once."""
    hosts = (cluster.a, cluster.b)

    def runs(host: Host) -> list[dict]:
        return [
            e
            for e in _log_entries(host, "portal_app.jobs.runner")
            if e["message"] in ("jobs run", "jobs skipped: another runner holds the lock")
        ]

    deadline = time.monotonic() + FIRST_JOB_RUN_SECONDS
    while not all(runs(host) for host in hosts):
        assert time.monotonic() < deadline, "a host's scheduler never ran the jobs"
        time.sleep(1)

    issued = 0
    for host in hosts:
        for entry in runs(host):
            if entry["message"] == "jobs run":
                assert entry["errors"] == "{}"
                # The summary is logged as its repr (and masked), so read the one count.
                found = ISSUED.search(entry["jobs"])
                assert found, entry["jobs"]
                issued += int(found.group(1))
    with db_engine.connect() as conn:
        invoices = conn.execute(
            text("SELECT count(*) FROM invoice WHERE recurring_invoice_id = :s"),
            {"s": cluster.schedule_id},
        ).scalar_one()
    assert issued == 1 and invoices == 1

    # The e-mail: both hosts have been trying to send every second for a while now.
    deadline = time.monotonic() + 20
    while not cluster.mailbox.to(cluster.mail_to):
        assert time.monotonic() < deadline, "the queued e-mail was never sent"
        time.sleep(0.5)
    time.sleep(3)  # several more rounds on both hosts
    assert len(cluster.mailbox.to(cluster.mail_to)) == 1
    with db_engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM outbox_message WHERE to_address = :t"),
            {"t": cluster.mail_to},
        ).scalar_one()
    assert status == "sent"
