"""analytics: the case's shop day and business-hours durations, and the daily case rollups
kept by triggers

Revision ID: a7c3e9d1f2b4
Revises: f1c2d3e4a5b6
Create Date: 2026-11-27
"""
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from core.vocabulary import CaseCategory, CaseKind, Channel
from db import rollups

revision = 'a7c3e9d1f2b4'
down_revision = 'f1c2d3e4a5b6'
branch_labels = None
depends_on = None

CHUNK = 5_000


def _vocab(enum) -> sa.Enum:
    return sa.Enum(*[m.value for m in enum], name=enum.__name__.lower(), native_enum=False,
                   length=32)


def _timezone(bind) -> str:
    value = bind.execute(sa.text("SELECT value FROM setting WHERE key = 'shop.timezone'")).scalar()
    if isinstance(value, str) and value.startswith('"'):
        value = value.strip('"')  # JSON text on SQLite
    return value or "Asia/Shanghai"


def _backfill(bind) -> None:
    """Existing cases get their shop day and their business-hours durations, computed with
    the same calendar the services use (in chunks: a chain's history is a million rows)."""
    from core import sla
    tz = _timezone(bind)
    zone = ZoneInfo(tz)
    session = Session(bind=bind)
    calendars = {}  # per year: a calendar holds the public holidays of the years around it

    def calendar(at: datetime):
        if at.year not in calendars:
            calendars[at.year] = sla.load_calendar(session, datetime(at.year, 7, 1))
        return calendars[at.year]
    utc = ZoneInfo("UTC")
    last = 0
    update = sa.text("UPDATE service_case SET created_day = :day, first_response_minutes = :fr, "
                     "resolution_minutes = :res WHERE id = :id")
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, created_at, first_response_at, resolved_at FROM service_case "
            "WHERE id > :last ORDER BY id LIMIT :n"), dict(last=last, n=CHUNK)).all()
        if not rows:
            break
        params = []
        for cid, created, responded, resolved in rows:
            created, responded, resolved = (_dt(v) for v in (created, responded, resolved))
            params.append(dict(
                id=cid, day=created.replace(tzinfo=utc).astimezone(zone).date(),
                fr=None if responded is None else int(
                    calendar(created).between(created, responded) // 60),
                res=None if resolved is None else int(
                    calendar(created).between(created, resolved) // 60)))
        bind.execute(update, params)
        last = rows[-1][0]
    session.close()


def _dt(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('first_response_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_minutes', sa.Integer(), nullable=True))
    _backfill(bind)
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.alter_column('created_day', existing_type=sa.Date(), nullable=False)
    op.create_table(
        'case_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', _vocab(Channel), nullable=False),
        sa.Column('kind', _vocab(CaseKind), nullable=False),
        sa.Column('category', _vocab(CaseCategory), nullable=False),
        *[sa.Column(name, sa.BigInteger() if name.endswith("_minutes") else sa.Integer(),
                    server_default='0', nullable=False) for name in rollups.MEASURES],
        sa.PrimaryKeyConstraint('day', 'channel', 'kind', 'category', name='pk_case_daily'),
    )
    op.create_table(
        'case_minutes_daily',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('channel', _vocab(Channel), nullable=False),
        sa.Column('measure', sa.String(length=20), nullable=False),
        sa.Column('minutes', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cases', sa.Integer(), server_default='0', nullable=False),
        sa.Column('minutes_total', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('day', 'channel', 'measure', 'minutes',
                                name='pk_case_minutes_daily'),
    )
    for stmt in rollups.rebuild_statements():
        op.execute(stmt)
    for stmt in rollups.create_statements(bind.dialect.name):
        op.execute(stmt)


def downgrade() -> None:
    bind = op.get_bind()
    for stmt in rollups.drop_statements(bind.dialect.name):
        op.execute(stmt)
    op.drop_table('case_minutes_daily')
    op.drop_table('case_daily')
    with op.batch_alter_table('service_case', schema=None) as batch_op:
        batch_op.drop_column('resolution_minutes')
        batch_op.drop_column('first_response_minutes')
        batch_op.drop_column('created_day')
