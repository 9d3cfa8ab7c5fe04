#!/usr/bin/env python3
"""CareDesk's admin command line. The database is DATABASE_URL, else ./data/caredesk.db.

    python manage.py upgrade
    python manage.py create-user USERNAME --role admin [--role supervisor] [--password-stdin]
    python manage.py seed-demo [--scale small|chain] [--staff-password P]
    python manage.py callbacks        (schedule the periodic care calls; run daily from cron)
    python manage.py import customers|products|orders|staff FILE [--dry-run]
    python manage.py backup PATH
    python manage.py restore PATH
"""
from __future__ import annotations

import sys

import click

from core.errors import DomainError
from core.vocabulary import Role


def _engine(migrate: bool = True):
    from db.migrate import upgrade
    from db.session import make_engine
    engine = make_engine()
    if migrate:
        upgrade(engine)
    return engine


def _fail(error: DomainError) -> None:
    raise click.ClickException(str(error))


@click.group()
def cli() -> None:
    """CareDesk administration."""


@cli.command()
def upgrade() -> None:
    """Create the database or bring it to the newest schema."""
    from db.migrate import current_revision
    engine = _engine()
    click.echo(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


@cli.command("create-user")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="repeat for several roles")
@click.option("--name", "display_name", help="the person's full name (default: username)")
@click.option("--email")
@click.option("--language", type=click.Choice(["en", "zh_CN"]), default="en")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(username, roles, display_name, email, language, password_stdin) -> None:
    """Create a staff account (asks for the password)."""
    from core.staff import create_staff
    from core.uow import UnitOfWork
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        staff_id = create_staff(UnitOfWork(_engine()), None, username,
                                display_name or username, password, list(roles), language,
                                email, must_change_password=False)
    except DomainError as e:
        _fail(e)
    click.echo(f"created {username} (id {staff_id}) with roles {', '.join(roles)}")


@cli.command("seed-demo")
@click.option("--scale", type=click.Choice(["small", "chain"]), default="small")
@click.option("--staff-password", help="password for the demo accounts (default: random)")
@click.option("--seed", type=int, default=42, show_default=True)
def seed_demo(scale, staff_password, seed) -> None:
    """Load deterministic demo data and the demo staff accounts."""
    from core.auth import validate_password
    from db.seed import seed_demo as run
    if staff_password:
        try:
            validate_password(staff_password)
        except DomainError as e:
            _fail(e)
    engine = _engine()
    with click.progressbar(length=1000, label=f"seeding {scale}") as bar:
        done = [0]

        def progress(fraction: float, label: str) -> None:
            target = int(min(max(fraction, 0.0), 1.0) * 1000)
            bar.label = f"{label:<28}"
            bar.update(target - done[0])
            done[0] = target
        try:
            result = run(engine, scale, staff_password=staff_password, progress=progress,
                         seed=seed)
        except DomainError as e:
            _fail(e)
    for table, count in result.get("counts", {}).items():
        click.echo(f"  {table:<24} {count:>10,}")
    click.echo(f"built in {result.get('elapsed', 0):.1f} s")
    if not staff_password:
        click.echo(f"demo staff password (shown once): {result['staff_password']}")


@cli.command()
def callbacks() -> None:
    """Schedule the care calls the periodic rules owe (safe to run at any time, or twice)."""
    from core.callback_rules import run_periodic
    from core.uow import UnitOfWork
    scheduled = run_periodic(UnitOfWork(_engine()))
    for trigger, count in sorted(scheduled.items()):
        click.echo(f"{trigger}: {count} care calls scheduled")
    if not scheduled:
        click.echo("no care call was owed")


IMPORT_KINDS = ("customers", "products", "orders", "staff")   # core.import_rules.ImportKind


@cli.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check every row and report, write nothing")
@click.option("--map", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="read FIELD from the file's COLUMN (repeat; FIELD= leaves it out)")
@click.option("--as", "username", help="the administrator the import is recorded for "
                                       "(default: the server's command line)")
def import_file(kind, path, dry_run, columns, username) -> None:
    """Import a CSV or .xlsx file: all of it, or nothing if any row is bad (listed, with
    a non-zero exit). Re-importing the same file changes nothing."""
    import contextlib
    from pathlib import Path

    from core import imports
    from core.i18n import translator
    from core.uow import UnitOfWork
    _ = translator("en")
    mapping = {}
    for item in columns:
        field, sep, column = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not FIELD=COLUMN", param_hint="--map")
        mapping[field.strip()] = column.strip() or None
    uow = UnitOfWork(_engine())
    actor = _actor(uow, username) if username else None
    data = Path(path).read_bytes()
    call = imports.preview_import if dry_run else imports.apply_import
    bar = click.progressbar(length=1000, label="importing", file=sys.stderr)
    shown = sys.stderr.isatty()   # a progress bar only for a person watching
    done = [0]

    def progress(fraction: float, message: str) -> None:
        target = int(min(max(fraction, 0.0), 1.0) * 1000)
        bar.label = f"{_(message):<20}"
        bar.update(target - done[0])
        done[0] = target
    with bar if shown else contextlib.nullcontext():
        try:
            report = call(uow, actor, kind, data, Path(path).name, mapping or None,
                          progress if shown else None)
        except imports.ImportRefused as refused:
            report = refused.report
        except DomainError as e:
            _fail(e)
    _print_report(report, _)
    if not report.ok:
        raise click.exceptions.Exit(1)
    if report.applied:
        click.echo("imported")
    else:
        click.echo("dry run: nothing was written")


def _actor(uow, username: str):
    import sqlalchemy as sa

    from core.actor import Actor
    from db.models import Staff
    with uow.reader() as r:
        s = r.session.scalar(sa.select(Staff).where(Staff.username == username.lower()))
        if s is None or not s.active:
            raise click.ClickException(f"no active staff member {username!r}")
        return Actor(s.id, s.username, s.display_name, s.role_set, s.language.value)


def _print_report(report, _) -> None:
    from core.imports import render_missing
    click.echo(f"{report.file_name}: {report.rows:,} rows ({report.encoding})")
    for field, column in report.mapping.items():
        click.echo(f"  {field:<22} <- {column}")
    unused = [h for h in report.headers if h and h not in report.mapping.values()]
    if unused:
        click.echo(f"  not imported: {', '.join(unused)}")
    for fields in render_missing(report, _):
        click.echo(f"no column for: {fields}", err=True)
    for p in report.problems:
        where = f" [{p.column}]" if p.column else ""
        click.echo(f"row {p.row}{where}: {p.render(_)}", err=True)
    if report.problems:
        click.echo(f"bad rows: {len(report.bad_rows):,}; nothing was imported", err=True)
    counts = f"new {report.new:,}, updated {report.updated:,}, unchanged {report.unchanged:,}"
    if report.kind == "orders":
        counts += f" (orders), {report.lines:,} order lines"
    click.echo(counts)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path) -> None:
    """Write a consistent copy of the database to PATH (safe while the app runs)."""
    from db.backup import backup as run
    click.echo(f"backup written to {run(_engine(migrate=False), path)}")


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.confirmation_option(prompt="Replace the whole database with this backup?")
def restore(path) -> None:
    """Replace the database with a backup made by `backup` (stop the app first)."""
    from db.backup import restore as run
    from db.migrate import upgrade
    engine = _engine(migrate=False)
    run(engine, path)
    upgrade(engine)  # an older backup is brought to the current schema
    click.echo("restored")


@cli.command("i18n-extract")
def i18n_extract() -> None:
    """Collect the marked strings of the code into locale/*/messages.po."""
    from core.catalog import update_catalogs
    for language, missing in update_catalogs().items():
        click.echo(f"{language}: {missing} strings without a translation")


if __name__ == "__main__":
    cli()
