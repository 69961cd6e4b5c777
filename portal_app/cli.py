"""Command line: `python -m portal_app.cli migrate | check-config | seed-demo | create-staff |
run-jobs | copy-files-to-storage`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from portal_app.core.settings import PROJECT_ROOT, get_settings


def migrate(database_url: str | None = None) -> None:
    """Upgrade the database to the newest migration."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if database_url:
        config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def _seed_demo(_args) -> int:
    from portal_app.core.db import session_scope
    from portal_app.demo import seed as demo

    with session_scope() as session:
        result = demo.seed_demo(session)
    base = get_settings().base_url.rstrip("/")
    print(f"Demo data loaded: {result.invoice_count} invoices ({result.draft_count} drafts).")
    print("Demo sign-ins (password for all: demo-portal-1):")
    print(f"  client portal  {base}/client/login   {demo.CLIENT_EMAIL} (Acme Corp)")
    print(f"                                        {demo.SECOND_CONTACT_EMAIL} (Acme Corp)")
    print(f"                                        {demo.OTHER_EMAIL} (Globex)")
    print(f"  staff          {base}/staff/login    {demo.STAFF_EMAIL}")
    print(f"  emailed invoice link (Acme): {base}{result.link_path}")
    if result.quote_link_path:
        print(f"  emailed quote link (Acme):   {base}{result.quote_link_path}")
    if result.subscribe_link_path:
        print(f"  subscription sign-up link (Pro plan): {base}{result.subscribe_link_path}")
    return 0


def _create_staff(args) -> int:
    from sqlmodel import select

    from portal_app.core.db import session_scope
    from portal_app.models import Company, StaffUser
    from portal_app.services.identity.passwords import hash_password, password_problem

    password = args.password or getpass.getpass("Password: ")
    if problem := password_problem(password):
        print(f"error: password: {problem}", file=sys.stderr)
        return 2
    with session_scope() as session:
        company = (
            session.get(Company, args.company_id)
            if args.company_id
            else session.exec(select(Company).order_by(Company.id)).first()
        )
        if company is None:
            print("error: no company; run seed-demo or create one first", file=sys.stderr)
            return 2
        email = args.email.strip().lower()
        existing = session.exec(
            select(StaffUser).where(StaffUser.company_id == company.id, StaffUser.email == email)
        ).first()
        user = existing or StaffUser(company_id=company.id, email=email, password_hash="")
        user.name = args.name or user.name
        user.role = args.role
        user.password_hash = hash_password(password)
        session.add(user)
    print(f"Staff user {email} ({args.role}) saved for {company.name}.")
    return 0


def _run_jobs(args) -> int:
    """Run the scheduled jobs once (recurring invoices, renewals, link expiry) and print what
    each did. Safe beside running servers: only one runner holds the job lock at a time."""
    from datetime import date

    from portal_app.jobs.runner import run_jobs

    today = date.fromisoformat(args.today) if args.today else None
    summary = run_jobs(today=today, only=args.only or None)
    for line in summary.lines():
        print(line)
    return 1 if summary.errors else 0


def _copy_files_to_storage(args) -> int:
    """Copy a local documents folder (default DOCUMENTS_ROOT) into the configured store
    (STORAGE_BACKEND=s3), checking every file's sha256; exit 1 when any file fails."""
    from portal_app.storage import get_store
    from portal_app.storage.copy import copy_folder

    settings = get_settings()
    source = Path(args.source) if args.source else Path(settings.documents_root)
    if not source.is_dir():
        print(f"error: {source} is not a folder", file=sys.stderr)
        return 2
    store = get_store(settings)
    if store.local_path("x") is not None and Path(settings.documents_root) == source:
        print("error: the store is this same folder; set STORAGE_BACKEND=s3", file=sys.stderr)
        return 2
    report = copy_folder(source, store)
    print(f"{report.copied} copied, {report.present} already there, {len(report.corrupt)} bad.")
    for key in report.corrupt:
        print(f"sha256 mismatch: {key}", file=sys.stderr)
    return 0 if report.ok else 1


def _without_password(url: str) -> str:
    """`url` with its password masked, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown by scheme only
        return url.split(":", 1)[0] + "://..."


def _check_config(_args) -> int:
    """Validate the configuration as the server would; print the worker count on stdout.

    scripts/prod.sh runs this first so a wrong variable stops the start with one clear line
    per problem (stderr) instead of a traceback from inside Reflex. With REDIS_URL set, Redis
    must answer too: Reflex would otherwise fail on the first browser event.
    """
    import asyncio

    from pydantic import ValidationError

    from portal_app.api.health import check_redis
    from portal_app.core.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            # The settings validator reports every problem at once, one a line.
            for line in message.splitlines():
                prefix = f"{where}: " if where else ""
                print(f"configuration refused: {prefix}{line}", file=sys.stderr)
        return 2
    redis = "not used (one worker, state in process)"
    if settings.redis_url:
        redis_shown = _without_password(settings.redis_url)
        if asyncio.run(check_redis(settings.redis_url)) != "ok":
            print(f"configuration refused: REDIS_URL {redis_shown} is unreachable", file=sys.stderr)
            return 2
        redis = f"{redis_shown} (reachable)"
    database = _without_password(settings.database_url)
    print(
        f"environment={settings.environment} workers={settings.workers} "
        f"log_format={settings.log_format}\ndatabase={database}\nredis={redis}",
        file=sys.stderr,
    )
    print(settings.workers)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the newest migration")
    sub.add_parser(
        "check-config", help="validate the environment's configuration; print the worker count"
    )
    sub.add_parser("seed-demo", help="load (or reload) the demo company and its data")
    staff = sub.add_parser("create-staff", help="create or update a staff user")
    staff.add_argument("--email", required=True)
    staff.add_argument("--name", default="")
    staff.add_argument("--role", choices=["owner", "admin", "staff"], default="staff")
    staff.add_argument("--password", help="omit to be asked")
    staff.add_argument("--company-id", type=int)
    jobs = sub.add_parser("run-jobs", help="run the scheduled jobs once and print a summary")
    jobs.add_argument("--today", help="run as of this date (YYYY-MM-DD); default today")
    jobs.add_argument("--only", action="append", help="run only this job (repeatable)")
    copy = sub.add_parser(
        "copy-files-to-storage",
        help="copy a local documents folder into the configured store, checking every hash",
    )
    copy.add_argument("--source", help="the folder to copy; default DOCUMENTS_ROOT")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        Path(PROJECT_ROOT / ".data").mkdir(exist_ok=True)
        migrate()
        print("Database is at the newest migration.")
        return 0
    if args.command == "check-config":
        return _check_config(args)
    if args.command == "seed-demo":
        return _seed_demo(args)
    if args.command == "create-staff":
        return _create_staff(args)
    if args.command == "run-jobs":
        return _run_jobs(args)
    if args.command == "copy-files-to-storage":
        return _copy_files_to_storage(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
