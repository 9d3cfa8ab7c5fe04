"""Orders from a case: the state decides, the customer is told, nothing half-done."""
import pytest
import sqlalchemy as sa

from core import cases, orders
from core.errors import ConcurrentChange, InvalidState, NotFound, ValidationError
from core.orders import LineInput
from core.vocabulary import Role
from db.models import Customer, Order, OrderLine, OutboxMessage, Product


@pytest.fixture
def setup(uow, make_staff):
    agent = make_staff("agent", Role.AGENT)
    with uow:
        customer = Customer(name="Li Lei", email="li.lei@example.com", language="en")
        kettle = Product(sku="K-1", name="Kettle", category="appliance", price_cents=19900)
        toaster = Product(sku="T-1", name="Toaster", category="appliance", price_cents=25900)
        uow.session.add_all([customer, kettle, toaster])
        uow.commit()
    case_id = cases.open_case(uow, agent, customer_id=customer.id, channel="phone",
                              kind="order_request", category="order_change",
                              subject="Wants a kettle", question="Can I order a kettle?",
                              next_step="Place the order", notify_customer=False).case_id
    return agent, case_id, kettle.id, toaster.id


def order_of(uow, number) -> Order:
    with uow.reader() as r:
        order = r.session.scalar(sa.select(Order).where(Order.order_number == number))
        order.lines  # noqa: B018  (loaded for the caller)
        return order


def outbox(uow) -> list[tuple[str, str]]:
    with uow.reader() as r:
        return [(m.template_key, m.subject) for m in
                r.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]


def test_place_confirms_and_tells_the_customer(uow, setup):
    agent, case_id, kettle, toaster = setup
    number = orders.place_order(uow, agent, case_id, [LineInput(kettle, 2),
                                                      LineInput(toaster, 1)], "1 Nanjing Rd")
    order = order_of(uow, number)
    assert order.state == "confirmed" and order.total_cents == 2 * 19900 + 25900
    assert order.expected_delivery_on is not None
    assert [(line.quantity, line.paid_cents) for line in order.lines] == [(2, 39800),
                                                                          (1, 25900)]
    assert outbox(uow) == [("order_confirmation", f"Order {number} confirmed")]
    assert cases.get_case(uow, agent, case_id).order_number == number


@pytest.mark.parametrize("lines, address", [
    ([], "1 Nanjing Rd"), ([LineInput(1, 0)], "1 Nanjing Rd"),
    ([LineInput(1, 1000)], "1 Nanjing Rd"), ([LineInput(999, 1)], "1 Nanjing Rd"),
    ([LineInput(1, 1)], "  "),
])
def test_bad_orders_write_nothing(uow, setup, lines, address):
    agent, case_id, *_ = setup
    with pytest.raises((ValidationError, NotFound)):
        orders.place_order(uow, agent, case_id, lines, address)
    with uow.reader() as r:
        assert r.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
        assert r.session.scalar(sa.select(sa.func.count()).select_from(OrderLine)) == 0
    assert outbox(uow) == []


def test_cancel_while_allowed_then_refused_with_a_reason(uow, setup):
    agent, case_id, kettle, _ = setup
    number = orders.place_order(uow, agent, case_id, [LineInput(kettle, 1)], "1 Nanjing Rd")
    order = order_of(uow, number)
    orders.cancel_order(uow, agent, case_id, order.id, order.version, "Changed her mind")
    assert order_of(uow, number).state == "cancelled"
    assert outbox(uow)[-1] == ("order_cancellation", f"Order {number} cancelled")
    with pytest.raises(InvalidState, match="cancelled"):
        orders.cancel_order(uow, agent, case_id, order.id, order_of(uow, number).version, "x")


def test_shipped_order_refuses_changes_and_says_why(uow, setup):
    agent, case_id, kettle, toaster = setup
    number = orders.place_order(uow, agent, case_id, [LineInput(kettle, 1)], "1 Nanjing Rd")
    order = order_of(uow, number)
    orders.ship_order(uow, agent, case_id, order.id, order.version, "SF Express", "SF123")
    shipped = order_of(uow, number)
    assert (shipped.state, shipped.carrier, shipped.tracking_number) == ("shipped",
                                                                         "SF Express", "SF123")
    assert outbox(uow)[-1][0] == "shipping_notice"
    with pytest.raises(InvalidState, match="has shipped"):
        orders.modify_order(uow, agent, case_id, order.id, shipped.version,
                            lines=[LineInput(toaster, 1)])
    with pytest.raises(InvalidState, match="has shipped"):
        orders.cancel_order(uow, agent, case_id, order.id, shipped.version, "too late")
    assert order_of(uow, number).total_cents == 19900


def test_modify_with_a_stale_version_is_refused(uow, setup):
    agent, case_id, kettle, toaster = setup
    number = orders.place_order(uow, agent, case_id, [LineInput(kettle, 1)], "1 Nanjing Rd")
    order = order_of(uow, number)
    orders.modify_order(uow, agent, case_id, order.id, order.version,
                        delivery_address="2 Huaihai Rd")
    with pytest.raises(ConcurrentChange):
        orders.modify_order(uow, agent, case_id, order.id, order.version,
                            lines=[LineInput(toaster, 3)])
    changed = order_of(uow, number)
    assert (changed.delivery_address, changed.total_cents) == ("2 Huaihai Rd", 19900)


def test_another_customers_order_is_out_of_reach(uow, setup):
    agent, case_id, kettle, _ = setup
    with uow:
        stranger = Customer(name="Stranger", email="s@example.com")
        uow.session.add(stranger)
        uow.flush()
        order = Order(order_number="X-1", customer_id=stranger.id, channel="web",
                      state="pending")
        uow.session.add(order)
        uow.commit()
    with pytest.raises(NotFound):
        orders.cancel_order(uow, agent, case_id, order.id, 1, "not theirs")
