"""Script and event-handler payloads in every free-text field, checked in the real browser:
a server of its own whose customers, cases, replies, notes, complaints, after-sales
requests, callbacks, products, stores, staff names and canned replies all hold
`<script>`, `<img onerror>`, `<svg onload>`, `javascript:` URLs (also as markdown links),
attribute break-outs and markdown/HTML mixes, written through the services (the ORM for
products, stores and orders). Every page that shows them is opened as the roles that can
see them (chart tooltips hovered too): the payload is on the page as literal text,
`window.__pwned` stays undefined, no dialog fires, and no element, link, emoji or coloured
text is made from it."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import (
    aftersales, analytics, callbacks, cases, complaints, customers, policy_calendar,
    policy_texts, reports,
)
from core.clock import utcnow
from core.staff import create_staff
from core.vocabulary import Channel, OrderState
from db.models import Order, OrderLine, Product, ServiceJob, Store

from browser_fixtures import _add_demo_staff, run_app
from browser_helpers import (
    IDLE, NAV_LINK, actor_of, auth_cookies, login, open_app, settle,
)

pytestmark = [pytest.mark.casebook("Injection"), pytest.mark.browser]

# Four payload texts short enough for names (120 characters), each with its own marker,
# and all four together for the long free texts.
A = ('PXA <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> '
     '<svg onload="window.__pwned=1">')
B = ('PXB javascript:window.__pwned=1 [pwnclick](javascript:window.__pwned=1) '
     '"><b onmouseover="window.__pwned=1">pwnb</b>')
C = ('PXC **pwnbold** _pwnit_ ![pwnimg](http://127.0.0.1:9/pwn.png) '
     '<a href="javascript:window.__pwned=1">pwna</a>')
D = ('PXD https://evil.example/pwn www.evil.example pwn@evil.example :red[pwnred] '
     ':material/home: &lt;b&gt;')
FULL = f"{A} {B} {C} {D}"
PAYLOADS = {"A": A, "B": B, "C": C, "D": D}
# script, img onerror, svg onload, bare javascript:, markdown link to javascript:, attribute
# break-out with onmouseover, markdown bold / italic / image, HTML link to javascript:, bare
# URL, www. address, e-mail address, coloured text, icon, HTML entity
VECTORS = 17
PASSWORD = "Payloads-are-text-99"
# what fits the 20 characters of an id a "does not exist" message repeats from the address
URL_LINK = "[pwnb](http://evil)"
URL_TAG = '<img src=x onerror="'


# what would show that a payload became markup: elements, handlers, links, markdown
INJECTED = """() => {
  const found = [];
  const note = (el, why) => found.push(why + ': ' + el.outerHTML.slice(0, 160));
  const risky = /^(on|href$|src$|srcdoc$|action$|formaction$|xlink:href$|data$|style$)/i;
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (risky.test(a.name) && !a.value.startsWith('#') &&
          /__pwned|pwnimg|pwn\\.png|evil/.test(a.value)) note(el, a.name);
    }
    if (el.tagName === 'SCRIPT' && el.textContent.includes('__pwned')) note(el, 'script');
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') note(el, 'img');
    if (el.tagName.toLowerCase() === 'svg' && el.hasAttribute('onload')) note(el, 'svg');
    const text = (el.textContent || '').trim();
    if (['A', 'STRONG', 'B', 'EM', 'I', 'H1', 'H2', 'H3', 'CODE', 'SPAN'].includes(el.tagName)
        && ['pwnclick', 'pwnbold', 'pwnit', 'pwnb', 'pwna', 'pwnred'].includes(text))
      note(el, 'markup');
  }
  const app = document.querySelector('[data-testid="stApp"]') || document.body;
  const tip = document.querySelector('#vg-tooltip-element');
  // (ui.fmt.md puts an invisible word joiner after ":" and "@": not part of what people read)
  return {pwned: typeof window.__pwned, found,
          text: app.textContent.replace(/\\u2060/g, '').replace(/\\s+/g, ' '),
          tooltip: tip ? tip.textContent.replace(/\\s+/g, ' ') : ''};
}"""

# the chart tooltip (vega-tooltip writes it with innerHTML): what it shows, and any element in
# it that is not its own table
TOOLTIP = """() => {
  const tip = document.querySelector('#vg-tooltip-element');
  const found = tip ? [...tip.querySelectorAll('*')]
    .filter(el => !['TABLE', 'TBODY', 'TR', 'TD', 'H2'].includes(el.tagName))
    .map(el => 'tooltip: ' + el.outerHTML.slice(0, 160)) : [];
  return {pwned: typeof window.__pwned, found,
          tooltip: tip ? tip.textContent.replace(/\\s+/g, ' ') : ''};
}"""


def squash(text: str) -> str:
    return " ".join(text.split())


def literal(text: str) -> re.Pattern:
    """The text as a page shows it: ui.fmt.md may put an invisible word joiner after ":" and
    "@" (so that markdown makes no link or emoji of it)."""
    return re.compile("".join(re.escape(ch) + ("\u2060?" if ch in ":@" else "")
                              for ch in squash(text)).replace("\\ ", "\\s+"))


@dataclass
class Shop:
    """The ids of the payload records."""
    customers: dict[str, int] = field(default_factory=dict)      # group -> id
    cases: dict[str, int] = field(default_factory=dict)
    complaint_case: int = 0
    requests: list[int] = field(default_factory=list)
    callbacks: list[int] = field(default_factory=list)


def _fill(server, shop: Shop) -> None:
    """Demo staff, then payload staff, stores, products, customers with orders, cases with
    replies and notes, a complaint worked through, after-sales requests with a job and its
    report, callbacks with attempts and a survey, a claimed callback, a canned reply and a
    holiday."""
    _add_demo_staff(server)
    uow = server.uow
    for username, display, roles in (("evilagent", A, ["agent"]),
                                     ("evilsup", B, ["supervisor"]),
                                     ("eviltech", C, ["technician"])):
        create_staff(uow(), None, username, display, PASSWORD, roles,
                     must_change_password=False)
        server.staff[username] = (display, PASSWORD)
    agent, sup, tech = (actor_of(server, u) for u in ("evilagent", "evilsup", "eviltech"))
    admin = actor_of(server, "admin")
    now = utcnow()
    with uow() as w:
        stores = {g: Store(code=f"S{g}", name=text) for g, text in PAYLOADS.items()}
        products = {g: Product(sku=f"PX-{g}", name=text, category="appliance",
                               price_cents=19900, specs=FULL) for g, text in PAYLOADS.items()}
        w.session.add_all([*stores.values(), *products.values()])
        w.commit()
        store_ids = {g: s.id for g, s in stores.items()}
        product_ids = {g: p.id for g, p in products.items()}
    addresses = {"A": B, "B": C, "C": D, "D": A}
    lines: dict[str, int] = {}
    for i, (g, text) in enumerate(PAYLOADS.items()):
        cid = customers.create_customer(uow(), agent, name=text, phone=f"+86139{i}7654321",
                                        language="en", address=addresses[g])
        customers.add_note(uow(), agent, cid, FULL)
        shop.customers[g] = cid
        with uow() as w:
            order = Order(order_number=f"PX{g}{secrets.token_hex(3)}", customer_id=cid,
                          channel=Channel.PHONE, state=OrderState.DELIVERED,
                          confirmed_at=now, shipped_at=now, delivered_at=now,
                          store_id=store_ids[g], delivery_address=text, carrier=g,
                          tracking_number=f"T{g}", total_cents=19900,
                          lines=[OrderLine(product_id=product_ids[g], quantity=1,
                                           unit_price_cents=19900, paid_cents=19900)])
            w.session.add(order)
            w.commit()
            order_id, lines[g] = order.id, order.lines[0].id
        complaint = g == "C"
        receipt = cases.open_case(
            uow(), agent, customer_id=cid, channel="phone",
            kind="complaint" if complaint else "inquiry",
            category="complaint" if complaint else "product_info", subject=text,
            question=FULL, customer_expectation=FULL, next_step=FULL, order_id=order_id,
            product_id=product_ids[g])
        shop.cases[g] = receipt.case_id
        version = cases.get_case(uow(), agent, receipt.case_id).version
        cases.reply(uow(), agent, receipt.case_id, FULL, version)
        cases.add_note(uow(), agent, receipt.case_id, FULL)
        cases.add_note(uow(), agent, receipt.case_id, FULL, call_log=True)

    # the complaint, worked through by the payload supervisor
    shop.complaint_case = shop.cases["C"]
    complaint_id = complaints.complaint_id_of_case(uow(), sup, shop.complaint_case)
    request_id = complaints.ask_department(uow(), sup, complaint_id, "quality", FULL)
    complaints.record_department_answer(uow(), sup, request_id, FULL, A)
    complaints.reply_to_customer(uow(), sup, complaint_id, "written", FULL)
    complaints.record_evaluation(uow(), sup, complaint_id, False, FULL)
    complaints.propose_compensation(uow(), agent, complaint_id, "voucher", 5000, FULL)
    complaints.set_root_cause(uow(), sup, complaint_id, "product_defect",
                              responsible_store_id=store_ids["C"],
                              responsible_product_id=product_ids["C"])
    complaints.escalate_complaint(uow(), agent, complaint_id, FULL)

    # after-sales: a repair inside the warranty (a job, a report to review) and a return of
    # used goods (waits for a supervisor)
    repair = aftersales.open_request(uow(), agent, order_line_id=lines["A"], kind="repair",
                                     reason=FULL, condition="defective",
                                     proof_of_purchase=True, notes=FULL)
    waiting = aftersales.open_request(uow(), agent, order_line_id=lines["B"], kind="return",
                                      reason=FULL, condition="damaged",
                                      proof_of_purchase=False, notes=FULL)
    shop.requests = [repair, waiting]
    with uow().reader() as r:
        job_id = r.session.scalar(sa.select(ServiceJob.id).where(
            ServiceJob.request_id == repair))
    aftersales.assign_job(uow(), sup, job_id, tech.staff_id, "in_store",
                          now + timedelta(hours=1))
    aftersales.start_job(uow(), tech, job_id)
    aftersales.record_quality_check(uow(), tech, job_id, True, FULL)
    report_id = aftersales.submit_report(uow(), tech, job_id, FULL, FULL, 30, 1000, 500)
    aftersales.review_report(uow(), sup, report_id, False, FULL)     # back to the technician
    # a second repair, assigned and not started yet
    second = aftersales.open_request(uow(), agent, order_line_id=lines["C"], kind="repair",
                                     reason=FULL, condition="defective",
                                     proof_of_purchase=True, notes=FULL)
    shop.requests.append(second)
    with uow().reader() as r:
        second_job = r.session.scalar(sa.select(ServiceJob.id).where(
            ServiceJob.request_id == second))
    aftersales.assign_job(uow(), sup, second_job, tech.staff_id, "on_site",
                          now + timedelta(days=1))
    policy_calendar.add_own_day(uow(), admin, analytics.shop_today(uow(), now)
                                + timedelta(days=40), A)

    # callbacks: an unanswered call with a note, and a reached one with a survey
    for g, outcome in (("A", "no_answer"), ("B", "reached")):
        cb = callbacks.schedule_callback(uow(), agent, shop.customers[g], "manual",
                                         now + timedelta(hours=2), topic=PAYLOADS[g])
        survey = ({"satisfaction": 2, "comment": FULL} if outcome == "reached" else {})
        callbacks.log_attempt(uow(), agent, cb, outcome, note=FULL, **survey)
        shop.callbacks.append(cb)
    claimed = callbacks.schedule_callback(uow(), agent, shop.customers["C"], "manual",
                                          now + timedelta(hours=3), topic=C)
    callbacks.claim(uow(), sup, claimed)           # "<B> is making this call"
    shop.callbacks.append(claimed)
    policy_texts.add_canned_reply(uow(), admin, title=A, body=FULL, language="en")


@pytest.fixture(scope="module")
def payload_app(chromium, tmp_path_factory):
    shop = Shop()
    with run_app(tmp_path_factory.mktemp("payload_app"),
                 prepare=lambda server: _fill(server, shop)) as server:
        yield server, shop


@dataclass
class Visit:
    path: str
    shows: tuple[str, ...]         # payload texts that must be on the page as literal text
    steps: tuple = ()              # what to do on the page first: step(page, server) -> texts
    #                                it saw elsewhere (chart tooltips), checked as literal too


def products_found(page: Page, server) -> list[str]:
    box = page.get_by_role("textbox", name="SKU, model or name")
    box.fill("PX-")
    box.press("Enter")
    settle(page)
    return []


def this_months_report(page: Page, server) -> list[str]:
    today = analytics.shop_today(server.uow(), utcnow())
    year = page.get_by_role("spinbutton", name="Year")
    year.fill(str(today.year))
    page.get_by_role("combobox", name="Month").click()
    page.get_by_role("option", name=reports.MONTHS[today.month - 1], exact=True).click()
    page.get_by_role("button", name="Show report").click()
    settle(page)
    expect(page.get_by_test_id("stMain")).to_contain_text(
        f"{reports.MONTHS[today.month - 1]} {today.year}")
    return []


def printable_download(button: str, tab: str | None = None):
    """Downloads a printable HTML document: it comes as an attachment (never shown as a page
    of the app's origin) and every payload in it is escaped."""
    def step(page: Page, server) -> list[str]:  # noqa: ARG001
        if tab:
            page.get_by_test_id("stMain").get_by_role("tab", name=tab, exact=True).click()
            settle(page)
        with page.expect_download() as download:
            page.get_by_role("button", name=button).click()
        response = page.context.request.get(download.value.url)
        problems = []
        if not response.headers.get("content-disposition", "").startswith("attachment"):
            problems.append(f"INJECTED {button}: served inline: {response.headers}")
        html = response.text()
        for raw in ("<script>window", "<img src=x", "<svg onload", "<b onmouseover",
                    '<a href="javascript'):
            if raw in html:
                problems.append(f"INJECTED {button}: {raw} unescaped in the document")
        if "PXA &lt;script&gt;window.__pwned=1&lt;/script&gt;" not in html:
            problems.append(f"INJECTED {button}: the payload is not in the document, escaped")
        return problems
    step.__name__ = f"download[{button}]"
    return step


def admin_tab(tab: str, section: str | None = None):
    """Opens a tab of the Administration page, and a section of it."""
    def step(page: Page, server) -> list[str]:  # noqa: ARG001
        page.get_by_test_id("stMain").get_by_role("tab", name=tab, exact=True).click()
        settle(page)
        if section:
            page.get_by_test_id("stMain").get_by_role("radio", name=section,
                                                      exact=True).click()
            settle(page)
        return []
    step.__name__ = f"admin[{tab}/{section}]"
    return step


def chart_tooltips(limit: int = 4, marks_per_chart: int = 8):
    """Moves the mouse onto the marks (bars, points) of each chart, up to `limit` charts, and
    returns the tooltips that show a payload; each is checked for markup as it shows."""
    def step(page: Page, server) -> list[str]:  # noqa: ARG001
        seen = []
        charts = page.get_by_test_id("stMain").get_by_test_id("stVegaLiteChart")
        for i in range(min(charts.count(), limit)):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            boxes = chart.locator("g.mark-rect path, g.mark-symbol path, g.mark-arc path, "
                                  "g.mark-area path, g.mark-line path").evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect(); "
                "return [r.x, r.y, r.width, r.height]; })")
            for x, y, width, height in [b for b in boxes if b[2] >= 2 and b[3] >= 2][
                    :marks_per_chart]:
                page.mouse.move(x + width / 2, y + height / 2, steps=2)
                page.wait_for_timeout(60)
                state = page.evaluate(TOOLTIP)
                if state["found"] or state["pwned"] != "undefined":
                    seen.append(f"INJECTED {state['found']} {state['pwned']}")
                if "PX" in state["tooltip"]:
                    seen.append(state["tooltip"])
            state = page.evaluate(INJECTED)        # and the page as the tooltips left it
            if state["found"] or state["pwned"] != "undefined":
                seen.append(f"INJECTED {state['found']} {state['pwned']}")
        page.mouse.move(0, 0)
        return seen
    return step


def analytics_section(name: str):
    """Opens one section of the Analytics page and hovers its charts; returns the section's
    text (marked PAGE) and the tooltips."""
    def step(page: Page, server) -> list[str]:
        page.get_by_test_id("stMain").get_by_role("radio", name=name, exact=True).click()
        settle(page)
        state = page.evaluate(INJECTED)
        found = ([f"INJECTED {state['found']} {state['pwned']}"]
                 if state["found"] or state["pwned"] != "undefined" else [])
        shown = ["PAGE " + state["text"]] if "PX" in state["text"] else []
        return found + shown + chart_tooltips()(page, server)
    step.__name__ = f"analytics[{name}]"
    return step


class Checker:
    def __init__(self):
        self.problems: list[str] = []
        self.tried = 0

    def check(self, page: Page, server, who: str, visit: Visit, dialogs: list[str]) -> None:
        page.locator(IDLE).wait_for(timeout=30_000)
        expect(page.locator(NAV_LINK).first).to_be_visible()
        extra: list[str] = []
        for step in visit.steps:
            extra += step(page, server)
        earlier = " ".join(extra)
        for text in visit.shows:   # wait for the page's content (tables may draw late)
            if squash(text) in earlier:
                continue           # seen by a step already (an earlier section)
            try:
                expect(page.get_by_test_id("stMain")).to_contain_text(literal(text),
                                                                      timeout=10_000)
            except AssertionError:
                pass               # reported below
        page.locator(IDLE).wait_for(timeout=30_000)
        state = page.evaluate(INJECTED)
        where = f"{who} {visit.path} {' '.join(s.__name__ for s in visit.steps)}".strip()
        if state["pwned"] != "undefined":
            self.problems.append(f"{where}: window.__pwned is set")
        for found in state["found"]:
            self.problems.append(f"{where}: {found}")
        for tip in extra:
            if tip.startswith("PAGE "):
                continue
            if tip.startswith("INJECTED"):
                self.problems.append(f"{where}: {tip}")
            elif not any(squash(t) in tip for t in PAYLOADS.values()):
                self.problems.append(f"{where}: a chart's tooltip shows a payload altered: "
                                     f"{tip[:200]}")
        seen = state["text"] + " ".join(extra)
        for text in visit.shows:
            if squash(text) not in seen:
                self.problems.append(f"{where}: {text[:3]} is not on the page as literal text")
        if dialogs:
            self.problems.append(f"{where}: dialogs {dialogs}")
            dialogs.clear()
        # payload vectors x texts that must show (a page without any still checks them all)
        self.tried += VECTORS * max(1, len(visit.shows))


def visits(shop: Shop) -> dict[str, list[Visit]]:
    c, k = shop.customers, shop.cases
    return {
        "evilagent": [
            Visit("/", (A,)),                          # the sidebar's "signed in as"
            *[Visit(f"/customers?customer={c[g]}", (PAYLOADS[g], FULL)) for g in PAYLOADS],
            Visit("/cases", (A, B, C, D)),
            *[Visit(f"/cases?case={k[g]}", (PAYLOADS[g], FULL)) for g in PAYLOADS],
            *[Visit(f"/callbacks?callback={cb}", (FULL,)) for cb in shop.callbacks[:2]],
            Visit(f"/callbacks?callback={shop.callbacks[2]}", (C, B)),
            Visit("/callbacks", (A, C)),
            Visit(f"/aftersales?request={shop.requests[0]}", (FULL,),
                  (printable_download("Printable service report"),)),
            *[Visit(f"/aftersales?request={r}", (FULL,)) for r in shop.requests[1:]],
            Visit("/products", (A, B, C, D, FULL), (products_found,)),
            Visit("/intake", ()),
            # payloads in the address itself come back in the "does not exist" messages
            *[Visit(f"/{page}?{name}={quote(text)}", (text,)) for page, name, text in (
                ("cases", "case", URL_LINK), ("aftersales", "request", URL_LINK),
                ("callbacks", "callback", URL_TAG))],
            Visit(f"/customers?customer={quote(URL_LINK)}", ()),      # "No customer found."
        ],
        "evilsup": [
            Visit("/complaints", (C,)),
            Visit("/approvals", (B,)),
            Visit(f"/cases?case={shop.complaint_case}", (C, FULL),
                  (printable_download("Printable complaint summary", "Complaint"),)),
            Visit("/team", (A,), (chart_tooltips(limit=1),)),
            Visit("/audit", (A, B)),
            Visit("/analytics", (A, C), tuple(
                analytics_section(name) for name in ("Complaints", "After-sales", "Agents",
                                                     "Alerts"))),
            Visit("/reports", (C,), (this_months_report,)),
        ],
        "eviltech": [Visit("/jobs", (A, C, FULL))],
        "admin": [Visit("/admin", (A, B, C)),
                  Visit("/admin", (A,), (admin_tab("Policies", "Texts"),)),
                  Visit("/admin", (A,), (admin_tab("Policies", "Business hours"),)),
                  Visit("/audit", ())],
        "analyst": [Visit("/analytics", (C,), (analytics_section("Complaints"),
                                                  analytics_section("Agents"))),
                    Visit("/exports", ())],
    }


def test_script_payloads_stay_inert_text_on_every_page(payload_app, new_context, tried):
    """Script, event-handler and javascript: payloads in every free-text field, product,
    store and staff name are shown as literal text on every page and never run or become
    elements, links or markdown."""
    server, shop = payload_app
    checker = Checker()
    for who, pages in visits(shop).items():
        page = new_context().new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, server, who)
        auth_cookies(page.context)
        for visit in pages:
            open_app(page, server.url, visit.path)
            checker.check(page, server, who, visit, dialogs)
    tried(checker.tried)
    assert not checker.problems, "\n".join(checker.problems)
