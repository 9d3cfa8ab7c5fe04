"""Alembic environment: runs on the connection db.migrate hands over, or on DATABASE_URL."""
from alembic import context

import db.triggers  # noqa: F401  (registers the audit guard)
from db.models import Base
from db.session import make_engine

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine()
        with engine.connect() as connection:
            _migrate(connection)
            connection.commit()
        engine.dispose()
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
