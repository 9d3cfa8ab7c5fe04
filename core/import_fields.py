"""The kinds of import file: their fields, the column names (English and Chinese) that mean
each field, the words people use for the values of the closed lists, and each field's
parser (core.import_rules)."""
from __future__ import annotations

from enum import StrEnum

from core.errors import ValidationError
from core.i18n import N_
from core.import_files import cell_text
from core.import_rules import (
    LIST_SPLIT, MAX_QUANTITY, Context, Field, ImportKind, KindSpec, address, amount, city,
    closed_list, day, email, moment, person_name, phone, skills, text, username, whole,
    words, yes_no,
)
from core.vocabulary import Channel, CustomerTier, Language, OrderState, Role


# --- the words of the closed lists ------------------------------------------------------------

TIER_WORDS = words(CustomerTier, {
    "普通": CustomerTier.REGULAR, "普通客户": CustomerTier.REGULAR, "常规": CustomerTier.REGULAR,
    "normal": CustomerTier.REGULAR, "standard": CustomerTier.REGULAR,
    "贵宾": CustomerTier.VIP, "vip客户": CustomerTier.VIP, "重要客户": CustomerTier.VIP})
LANGUAGE_WORDS = words(Language, {
    "english": Language.EN, "英文": Language.EN, "英语": Language.EN,
    "zh": Language.ZH_CN, "zh-cn": Language.ZH_CN, "zh_hans": Language.ZH_CN,
    "chinese": Language.ZH_CN, "中文": Language.ZH_CN, "简体中文": Language.ZH_CN,
    "汉语": Language.ZH_CN})
CHANNEL_WORDS = words(Channel, {
    "电话": Channel.PHONE, "call": Channel.PHONE, "telephone": Channel.PHONE,
    "e-mail": Channel.EMAIL, "mail": Channel.EMAIL, "邮件": Channel.EMAIL,
    "邮箱": Channel.EMAIL, "电子邮件": Channel.EMAIL,
    "website": Channel.WEB, "online": Channel.WEB, "web form": Channel.WEB,
    "网站": Channel.WEB, "官网": Channel.WEB, "网上": Channel.WEB, "网店": Channel.WEB,
    "线上": Channel.WEB, "online chat": Channel.CHAT, "在线客服": Channel.CHAT,
    "在线": Channel.CHAT, "聊天": Channel.CHAT, "social media": Channel.SOCIAL,
    "社交媒体": Channel.SOCIAL, "微信": Channel.SOCIAL, "微博": Channel.SOCIAL,
    "walk-in": Channel.WALK_IN, "store": Channel.WALK_IN, "门店": Channel.WALK_IN,
    "到店": Channel.WALK_IN, "线下": Channel.WALK_IN})
STATE_WORDS = words(OrderState, {
    "待确认": OrderState.PENDING, "待处理": OrderState.PENDING,
    "已确认": OrderState.CONFIRMED, "已打包": OrderState.PACKED, "已包装": OrderState.PACKED,
    "已发货": OrderState.SHIPPED, "delivered": OrderState.DELIVERED,
    "已送达": OrderState.DELIVERED, "已签收": OrderState.DELIVERED,
    "completed": OrderState.DELIVERED, "已完成": OrderState.DELIVERED,
    "canceled": OrderState.CANCELLED, "已取消": OrderState.CANCELLED})
ROLE_WORDS = words(Role, {
    "客服": Role.AGENT, "坐席": Role.AGENT, "客服专员": Role.AGENT,
    "技术员": Role.TECHNICIAN, "维修": Role.TECHNICIAN, "维修技师": Role.TECHNICIAN,
    "主管": Role.SUPERVISOR, "组长": Role.SUPERVISOR, "分析师": Role.ANALYST,
    "administrator": Role.ADMIN, "管理员": Role.ADMIN})


def _allowed(enum: type[StrEnum]) -> str:
    return ", ".join(m.value for m in enum)


_ROLE = closed_list(N_("Role"), ROLE_WORDS, _allowed(Role))


def roles(value: object, ctx: Context) -> frozenset[Role]:
    found = {_ROLE(part, ctx) for part in LIST_SPLIT.split(cell_text(value)) if part}
    if not found:
        raise ValidationError(N_("Give the person at least one role."))
    return frozenset(found)


# --- the kinds ----------------------------------------------------------------------------------

F = Field
L_NAME, L_PHONE, L_EMAIL = N_("Name"), N_("Phone"), N_("E-mail")
L_LANGUAGE, L_ADDRESS, L_SKU = N_("Language"), N_("Address"), N_("SKU")
PHONE_WORDS = ("phone", "phone number", "mobile", "mobile phone", "cell", "telephone", "tel",
               "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "联系方式")
EMAIL_WORDS = ("email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱",
               "邮件", "邮箱地址")
LANGUAGE_ALIASES = ("lang", "语言")
SKU_WORDS = ("sku", "product code", "item code", "article number", "商品编码", "商品编号",
             "货号", "sku编码", "产品编码")

CUSTOMERS = KindSpec(ImportKind.CUSTOMERS, (
    F("name", L_NAME, person_name, ("customer name", "full name", "customer", "姓名",
                                    "客户姓名", "客户名称", "客户", "名字", "联系人"), True),
    F("phone", L_PHONE, phone, PHONE_WORDS),
    F("email", L_EMAIL, email, EMAIL_WORDS),
    F("tier", N_("Tier"), closed_list(N_("Tier"), TIER_WORDS, _allowed(CustomerTier)),
      ("level", "customer tier", "等级", "客户等级", "会员等级", "级别")),
    F("marketing_consent", N_("Marketing consent"), yes_no(N_("Marketing consent")),
      ("consent", "marketing", "营销同意", "同意营销", "接受营销", "营销许可")),
    F("language", L_LANGUAGE, closed_list(L_LANGUAGE, LANGUAGE_WORDS, _allowed(Language)),
      LANGUAGE_ALIASES),
    F("address", L_ADDRESS, address, ("地址", "详细地址", "联系地址")),
    F("city", N_("City"), city, ("城市", "所在城市")),
), one_of=(("phone", "email"),))

PRODUCTS = KindSpec(ImportKind.PRODUCTS, (
    F("sku", L_SKU, text(L_SKU, 40), SKU_WORDS + ("code", "编码"), True),
    F("name", L_NAME, text(L_NAME, 200), ("product name", "product", "商品名称", "名称",
                                          "品名", "产品名称", "英文名称", "商品名"), True),
    F("name_zh", N_("Chinese name"), text(N_("Chinese name"), 200),
      ("chinese name", "name zh", "中文名称", "中文名")),
    F("category", N_("Category"), text(N_("Category"), 60),
      ("类别", "品类", "分类", "商品类别", "商品分类"), True),
    F("model", N_("Model"), text(N_("Model"), 80), ("型号", "规格型号")),
    F("price", N_("Price"), amount(N_("Price")),
      ("unit price", "list price", "price cny", "价格", "单价", "售价", "零售价"), True),
    F("warranty_months", N_("Warranty (months)"), whole(N_("Warranty (months)"), 0, 600),
      ("warranty", "warranty months", "保修期", "保修月数", "保修")),
    F("return_window_days", N_("Return window (days)"),
      whole(N_("Return window (days)"), 0, 3650),
      ("return window", "return days", "退货期", "退货天数")),
    F("exchange_window_days", N_("Exchange window (days)"),
      whole(N_("Exchange window (days)"), 0, 3650),
      ("exchange window", "exchange days", "换货期", "换货天数")),
    F("specs", N_("Specifications"), text(N_("Specifications"), 5000, multiline=True),
      ("specifications", "description", "规格", "参数", "规格参数", "描述")),
    F("in_stock", N_("In stock"), yes_no(N_("In stock")),
      ("stock", "有货", "库存状态", "是否有货")),
    F("active", N_("Active"), yes_no(N_("Active")), ("on sale", "在售", "上架", "是否在售")),
))

ORDER_HEADER = ("order_number", "customer_phone", "customer_email", "ordered_at", "channel",
                "state", "store", "delivery_address", "expected_delivery_on", "carrier",
                "tracking_number", "shipped_at", "delivered_at", "cancelled_at")
ORDER_LINE = ("sku", "quantity", "unit_price", "paid")

ORDERS = KindSpec(ImportKind.ORDERS, (
    F("order_number", N_("Order number"), text(N_("Order number"), 32),
      ("order no", "order", "order id", "订单号", "订单编号", "单号"), True),
    F("customer_phone", N_("Customer phone"), phone,
      ("customer phone", "客户手机", "客户电话") + PHONE_WORDS),
    F("customer_email", N_("Customer e-mail"), email,
      ("customer email", "客户邮箱") + EMAIL_WORDS),
    F("ordered_at", N_("Order date"), moment(N_("Order date")),
      ("order date", "order time", "date", "下单时间", "订单日期", "下单日期", "日期",
       "订单时间"), True),
    F("channel", N_("Channel"), closed_list(N_("Channel"), CHANNEL_WORDS, _allowed(Channel)),
      ("sales channel", "渠道", "销售渠道", "下单渠道")),
    F("state", N_("Order state"),
      closed_list(N_("Order state"), STATE_WORDS, _allowed(OrderState)),
      ("status", "order status", "order state", "状态", "订单状态")),
    F("store", N_("Store"), text(N_("Store"), 20),
      ("store code", "shop", "门店", "门店编码", "店铺")),
    F("delivery_address", N_("Delivery address"), address,
      ("address", "shipping address", "收货地址", "地址", "配送地址")),
    F("expected_delivery_on", N_("Expected delivery"), day(N_("Expected delivery")),
      ("expected delivery", "预计送达", "预计送达日期")),
    F("carrier", N_("Carrier"), text(N_("Carrier"), 60),
      ("快递公司", "承运商", "物流公司")),
    F("tracking_number", N_("Tracking number"), text(N_("Tracking number"), 60),
      ("tracking", "快递单号", "运单号", "物流单号")),
    F("shipped_at", N_("Shipped at"), moment(N_("Shipped at")),
      ("ship date", "发货时间", "发货日期")),
    F("delivered_at", N_("Delivered at"), moment(N_("Delivered at")),
      ("delivery date", "签收时间", "送达时间", "签收日期")),
    F("cancelled_at", N_("Cancelled at"), moment(N_("Cancelled at")), ("取消时间",)),
    F("sku", L_SKU, text(L_SKU, 40), SKU_WORDS, True),
    F("quantity", N_("Quantity"), whole(N_("Quantity"), 1, MAX_QUANTITY),
      ("qty", "数量", "件数"), True),
    F("unit_price", N_("Unit price"), amount(N_("Unit price")),
      ("price", "单价", "价格")),
    F("paid", N_("Amount paid"), amount(N_("Amount paid")),
      ("amount paid", "paid amount", "line total", "amount", "实付", "实付金额", "金额",
       "小计")),
), one_of=(("customer_phone", "customer_email"),))

STAFF = KindSpec(ImportKind.STAFF, (
    F("username", N_("Username"), username, ("user", "login", "用户名", "账号", "登录名"),
      True),
    F("display_name", L_NAME, text(L_NAME, 120),
      ("name", "display name", "full name", "姓名", "名字", "显示名"), True),
    F("email", L_EMAIL, email, EMAIL_WORDS),
    F("roles", N_("Roles"), roles, ("role", "角色", "岗位"), True),
    F("language", L_LANGUAGE, closed_list(L_LANGUAGE, LANGUAGE_WORDS, _allowed(Language)),
      LANGUAGE_ALIASES),
    F("skills", N_("Skills"), skills, ("skill", "技能")),
))

SPECS = {s.kind: s for s in (CUSTOMERS, PRODUCTS, ORDERS, STAFF)}


