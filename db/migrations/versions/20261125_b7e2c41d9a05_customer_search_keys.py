"""customer search keys: name_key, name_last_key, email_normalized

Revision ID: b7e2c41d9a05
Revises: 6c0738174540
Create Date: 2026-11-25

Finding a customer "in seconds" by name or e-mail prefix needs index-friendly keys
(core/search_keys.py): a prefix search is a range `key >= :p AND key < :p_upper` on a
plain B-tree index. On PostgreSQL the keys use the "C" collation so that such a range means
"starts with" whatever the database's default collation is.

Existing rows are backfilled here with the key rules written out (not imported), so that this
revision means the same thing forever. casefold() leaves Chinese characters unchanged.
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = 'b7e2c41d9a05'
down_revision = '6c0738174540'
branch_labels = None
depends_on = None

BATCH = 5_000


def _key_type(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _name_key(name):
    if name is None:
        return None
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split()) or None


def _name_last_key(name):
    key = _name_key(name)
    if not key or " " not in key:
        return None
    return key.rsplit(" ", 1)[1]


def _email_key(email):
    if email is None:
        return None
    return unicodedata.normalize("NFKC", email).strip().lower() or None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', _key_type(120), nullable=True))
        batch_op.add_column(sa.Column('name_last_key', _key_type(120), nullable=True))
        batch_op.add_column(sa.Column('email_normalized', _key_type(254), nullable=True))

    conn = op.get_bind()
    customer = sa.table("customer", sa.column("id", sa.Integer), sa.column("name"),
                        sa.column("email"), sa.column("name_key"),
                        sa.column("name_last_key"), sa.column("email_normalized"))
    update = (sa.update(customer).where(customer.c.id == sa.bindparam("cid"))
              .values(name_key=sa.bindparam("nk"), name_last_key=sa.bindparam("nlk"),
                      email_normalized=sa.bindparam("ek")))
    last = 0
    while True:
        rows = conn.execute(sa.select(customer.c.id, customer.c.name, customer.c.email)
                            .where(customer.c.id > last).order_by(customer.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        conn.execute(update, [{"cid": r.id, "nk": _name_key(r.name),
                               "nlk": _name_last_key(r.name), "ek": _email_key(r.email)}
                              for r in rows])
        last = rows[-1].id

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_name_last_key'), ['name_last_key'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_customer_email_normalized'), ['email_normalized'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_email_normalized'))
        batch_op.drop_index(batch_op.f('ix_customer_name_last_key'))
        batch_op.drop_index(batch_op.f('ix_customer_name_key'))
        batch_op.drop_column('email_normalized')
        batch_op.drop_column('name_last_key')
        batch_op.drop_column('name_key')
