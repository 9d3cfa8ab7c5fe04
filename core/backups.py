"""Backups from the Administration page (issue 7), over db.backup, the same code
`manage.py backup` runs.

SQLite: the online backup API makes a consistent copy while the app keeps running, into the
data directory's backups/ folder under a timestamped name. PostgreSQL: the copy is pg_dump's
job on the server (`manage.py backup FILE`), not the web page's: the page shows the commands.

A restore is never run from the live app: it replaces the database under every open
session (people's unsaved work, their logins, the app's cached reads all belong to the
database being replaced), and it must not race the writes of the people still working. It
is `manage.py restore FILE` with the app stopped; restore_command() is that command.
"""
from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core import audit, sla
from core.actor import Actor
from core.clock import utcnow
from core.errors import InvalidState
from core.formats import UTC
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from db import backup as db_backup
from db.session import data_dir

BACKUP_FOLDER = "backups"
PREFIX = "caredesk-"
SQLITE_SUFFIX = ".db"
POSTGRES_SUFFIX = ".dump"
AUDIT_ACTION = "backup_made"
MANAGE = "python manage.py"


@dataclass(frozen=True)
class BackupFile:
    name: str
    path: Path
    size_bytes: int
    modified_at: datetime     # naive UTC, like every stored time


def online_backup_supported(uow: UnitOfWork) -> bool:
    """Whether the page can make the backup itself (SQLite) or shows the commands."""
    return uow.engine.dialect.name == "sqlite"


def backup_directory(directory: str | Path | None = None) -> Path:
    """The data directory's backups/ folder (or the one given), readable by its owner only:
    a backup holds every customer's personal data."""
    path = Path(directory) if directory is not None else data_dir() / BACKUP_FOLDER
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path.resolve()


def _file(path: Path) -> BackupFile:
    stat = path.stat()
    return BackupFile(path.name, path, stat.st_size,
                      datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None))


def _free_name(directory: Path, stamp: str, suffix: str) -> Path:
    candidate = directory / f"{PREFIX}{stamp}{suffix}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = directory / f"{PREFIX}{stamp}-{n}{suffix}"
    return candidate


def make_backup(uow: UnitOfWork, actor: Actor, directory: str | Path | None = None
                ) -> BackupFile:
    """A consistent copy of the SQLite database, named by the shop's time
    ("caredesk-20261201-093000.db"), and an audit row saying who made it. On PostgreSQL
    the page does not run pg_dump: refused with the command to run instead."""
    require(actor, Action.BACKUP_RUN)
    if not online_backup_supported(uow):
        raise InvalidState(N_("On PostgreSQL the backup is made with pg_dump on the server: "
                              "run {command} there."),
                          command=backup_command(Path(BACKUP_FOLDER) / "caredesk.dump"))
    folder = backup_directory(directory)
    with uow.reader() as r:
        stamp = sla.to_local(r.session, utcnow()).strftime("%Y%m%d-%H%M%S")
    target = _free_name(folder, stamp, SQLITE_SUFFIX)
    written = db_backup.backup(uow.engine, target)
    try:
        os.chmod(written, 0o600)
        made = _file(written)
        with uow:
            audit.record(uow, actor, AUDIT_ACTION, "backup", made.name, None,
                         {"file": made.name, "bytes": made.size_bytes})
            uow.commit()
    except BaseException:
        written.unlink(missing_ok=True)   # no backup that the log does not know of
        raise
    return made


def list_backups(uow: UnitOfWork, actor: Actor, directory: str | Path | None = None
                 ) -> list[BackupFile]:
    """The backups in the folder, newest first."""
    require(actor, Action.BACKUP_RUN)
    folder = backup_directory(directory)
    found = [_file(p) for p in folder.iterdir()
             if p.is_file() and p.suffix in (SQLITE_SUFFIX, POSTGRES_SUFFIX)]
    return sorted(found, key=lambda b: (b.modified_at, b.name), reverse=True)


def restore_command(path: str | Path) -> str:
    """The command that restores `path`, to run with the app stopped, from CareDesk's folder
    with the app's settings (DATABASE_URL / CAREDESK_DATA_DIR)."""
    return f"{MANAGE} restore {shlex.quote(str(path))}"


def backup_command(path: str | Path) -> str:
    return f"{MANAGE} backup {shlex.quote(str(path))}"


def postgres_tools() -> dict[str, bool]:
    """Whether pg_dump and pg_restore are installed where the app runs."""
    return {tool: shutil.which(tool) is not None for tool in ("pg_dump", "pg_restore")}
