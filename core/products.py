"""Product lookup for the agent on a call: specs, price, warranty and return window (the
product's own or its category's policy), stock; and what to recommend, from what this
customer and customers who bought the same things bought together."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from core import validate
from core.actor import Actor
from core.errors import NotFound
from core.i18n import N_
from core.permissions import Action, require
from core.uow import UnitOfWork
from db.models import AfterSalesPolicy, Order, OrderLine, Product

DEFAULT_CATEGORY = "*"


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    name: str
    name_zh: str | None
    category: str
    model: str | None
    price_cents: int
    warranty_months: int
    return_window_days: int
    exchange_window_days: int
    in_stock: bool
    specs: str | None


@dataclass(frozen=True)
class Recommendation:
    product: ProductInfo
    bought_together: int  # orders in which it was bought with what the customer has


def _policies(session) -> dict[str, AfterSalesPolicy]:
    return {p.category: p for p in session.scalars(sa.select(AfterSalesPolicy))}


def _info(product: Product, policies: dict[str, AfterSalesPolicy]) -> ProductInfo:
    policy = policies.get(product.category) or policies.get(DEFAULT_CATEGORY)

    def pick(own, attr):
        return own if own is not None else getattr(policy, attr, 0)
    return ProductInfo(
        product.id, product.sku, product.name, product.name_zh, product.category,
        product.model, product.price_cents,
        pick(product.warranty_months, "warranty_months"),
        pick(product.return_window_days, "return_window_days"),
        pick(product.exchange_window_days, "exchange_window_days"),
        product.in_stock, product.specs)


def find_products(uow: UnitOfWork, actor: Actor, query: str, limit: int = 20) -> list[ProductInfo]:
    """By SKU, model or name (English or Chinese), as typed."""
    require(actor, Action.PRODUCT_VIEW)
    needle = validate.searchable(query, limit=100)
    with uow.reader() as r:
        select = sa.select(Product).where(Product.active.is_(True))
        if needle:
            select = select.where(sa.or_(
                Product.sku.istartswith(needle, autoescape=True),
                Product.model.istartswith(needle, autoescape=True),
                Product.name.icontains(needle, autoescape=True),
                Product.name_zh.contains(needle, autoescape=True)))
        rows = r.session.scalars(select.order_by(Product.name).limit(min(limit, 100))).all()
        policies = _policies(r.session)
        return [_info(p, policies) for p in rows]


def product_info(uow: UnitOfWork, actor: Actor, product_id: int) -> ProductInfo:
    require(actor, Action.PRODUCT_VIEW)
    with uow.reader() as r:
        product = r.session.get(Product, validate.record_id(product_id))
        if product is None:
            raise NotFound(N_("Product {product_id} does not exist."), product_id=product_id)
        return _info(product, _policies(r.session))


def recommendations(uow: UnitOfWork, actor: Actor, *, customer_id: int | None = None,
                    product_id: int | None = None, limit: int = 5) -> list[Recommendation]:
    """Products most often bought in the same order as the customer's products (or as one
    product), which the customer does not own yet and which are in stock. A customer's
    recommendations are read from their purchases: that needs the customer view as well
    (a technician looks products up, not what a customer bought)."""
    require(actor, Action.PRODUCT_VIEW)
    if customer_id is not None:
        require(actor, Action.CUSTOMER_VIEW)
    with uow.reader() as r:
        if customer_id is not None:
            owned = sa.select(OrderLine.product_id).join(Order, Order.id == OrderLine.order_id) \
                .where(Order.customer_id == customer_id).distinct()
        elif product_id is not None:
            owned = sa.select(sa.literal(product_id))
        else:
            return []
        owned_ids = r.session.scalars(owned).all()
        if not owned_ids:
            return []
        mine = sa.orm.aliased(OrderLine)
        other = sa.orm.aliased(OrderLine)
        rows = r.session.execute(
            sa.select(other.product_id, sa.func.count(sa.distinct(other.order_id)).label("n"))
            .select_from(mine).join(other, sa.and_(other.order_id == mine.order_id,
                                                   other.product_id != mine.product_id))
            .where(mine.product_id.in_(owned_ids), other.product_id.not_in(owned_ids))
            .group_by(other.product_id)
            .order_by(sa.desc("n"), other.product_id).limit(limit * 3)).all()
        products = {p.id: p for p in r.session.scalars(
            sa.select(Product).where(Product.id.in_([pid for pid, _ in rows]),
                                     Product.active.is_(True), Product.in_stock.is_(True)))}
        policies = _policies(r.session)
        return [Recommendation(_info(products[pid], policies), n)
                for pid, n in rows if pid in products][:limit]
