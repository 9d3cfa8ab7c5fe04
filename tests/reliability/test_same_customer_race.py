"""Two agents saving the same new customer at the same moment make one customer record."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from core import customers
from core.errors import ConcurrentChange, ValidationError
from core.uow import UnitOfWork
from core.vocabulary import Role
from db.models import Customer
from db.session import make_engine
from tests.conftest import add_staff

pytestmark = pytest.mark.casebook("Load")

ROUNDS = 15
AGENTS = 6


def _race(database_url: str, actors, **contact) -> list[object]:
    """Each agent saves the customer on its own connection, all released at once."""
    engines = [make_engine(database_url) for _ in actors]
    start = threading.Barrier(len(actors))
    results: list[object] = [None] * len(actors)

    def save(i: int) -> None:
        start.wait()
        try:
            results[i] = customers.create_customer(
                UnitOfWork(engines[i]), actors[i], name=f"Zhou Min {i}", **contact)
        except (ValidationError, ConcurrentChange) as e:
            results[i] = e

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(actors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    return results


@pytest.mark.parametrize("field", ["phone", "email"])
def test_the_same_new_customer_saved_at_once_is_created_once(database_url, uow, tried, field):
    """Several agents saving a new customer with the same phone (or e-mail) at the same
    moment create one record; the others are told whose the number is."""
    actors = [add_staff(uow, f"agent{i}", Role.AGENT) for i in range(AGENTS)]
    for n in range(ROUNDS):
        contact = ({"phone": f"+86139{n:08d}"} if field == "phone"
                   else {"email": f"zhou.min{n}@example.com"})
        results = _race(database_url, actors, **contact)
        tried(len(actors))
        created = [r for r in results if isinstance(r, int)]
        assert len(created) == 1, results
        for r in results:
            if not isinstance(r, int):
                assert isinstance(r, (ValidationError, ConcurrentChange)), r
                if isinstance(r, ValidationError):  # names the customer who has it
                    assert r.params["customer_id"] == created[0]
    with uow.reader() as r:
        column = Customer.phone_normalized if field == "phone" else Customer.email_normalized
        per_value = r.session.execute(sa.select(column, sa.func.count())
                                      .group_by(column)).all()
    assert len(per_value) == ROUNDS
    assert all(n == 1 for _, n in per_value)
