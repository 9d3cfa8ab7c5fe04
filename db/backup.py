"""Backup and restore of the whole database.

SQLite: the online backup API, consistent while the app keeps running and writing.
PostgreSQL: pg_dump / pg_restore in custom format (the client tools must be installed).
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine, make_url


def backup(engine: Engine, path: str | Path) -> Path:
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        return target
    _pg_tool("pg_dump", engine, "--format=custom", "--no-owner", f"--file={target}")
    return target


def restore(engine: Engine, path: str | Path) -> None:
    """Replaces the database's content with the backup's. The caller stops the app first."""
    source_path = Path(path).resolve()
    if not source_path.exists():
        raise FileNotFoundError(source_path)
    engine.dispose()
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(source_path)
        dest = sqlite3.connect(engine.url.database)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        return
    _pg_tool("pg_restore", engine, "--clean", "--if-exists", "--no-owner",
             "--single-transaction", str(source_path))


def _pg_tool(tool: str, engine: Engine, *args: str) -> None:
    if shutil.which(tool) is None:
        raise RuntimeError(f"{tool} is not installed; install the PostgreSQL client tools "
                           "(Debian: apt-get install postgresql-client)")
    url = make_url(engine.url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run([tool, f"--dbname={dsn}", *args], check=True)
