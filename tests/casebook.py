"""The casebook: what the security and reliability suites tried, and how each case went.

A test joins it with `@pytest.mark.casebook("Group")` (on the test or its module) and says
how many attacks, faults or writes it tried with the `tried` fixture (`tried(12)`; one if it
never says). `pytest tests/security tests/reliability --casebook docs/security.md` then
writes this database's section of that file: a count per group and one row per case (a test
function, its parameters added up), with its result. The other database's section is kept,
so running the suite once per database fills the whole table.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# group -> what its counts are of; groups appear in this order
UNITS = {
    "Login": "attempts",
    "Authorisation": "calls",
    "Injection": "payloads",
    "Sessions": "sessions",
    "Uploads": "files",
    "Streamlit settings": "checks",
    "Load": "writes",
    "Faults": "faults injected",
}

HEADER = """# Security and reliability: what the suite tried

Written by the suite itself; do not edit by hand. To refresh a database's section:

    .venv/bin/python -m pytest tests/security tests/reliability --casebook docs/security.md
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m pytest tests/security tests/reliability --casebook docs/security.md

A case is one test function; "tried" counts the attacks, faults or writes it made (a test
over many roles, payloads or files counts each one). A case passes when every attempt failed
safely: refused with a clear message, nothing changed, nothing lost, nobody let in.
"""


@dataclass
class Case:
    group: str
    title: str
    tried: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


_counts: dict[str, int] = defaultdict(int)   # item nodeid -> tried
_cases: dict[str, Case] = {}                 # module::function -> Case


def pytest_addoption(parser):
    parser.addoption("--casebook", metavar="PATH", default=None,
                     help="write this database's section of the security casebook to PATH")


def pytest_configure(config):
    config.addinivalue_line("markers", "casebook(group): a security or reliability case, "
                                       "counted in docs/security.md")


@pytest.fixture
def tried(request):
    """tried(n): this test made n more attempts (attacks, faults or writes)."""
    def add(n: int = 1) -> None:
        _counts[request.node.nodeid] += n
    return add


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    marker = item.get_closest_marker("casebook")
    if marker is None:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        key = f"{item.module.__name__}::{item.originalname}"
        case = _cases.get(key)
        if case is None:
            doc = (item.function.__doc__ or item.originalname.replace("_", " ")).strip()
            case = _cases[key] = Case(marker.args[0], " ".join(doc.split("\n\n")[0].split()))
        case.tried += max(_counts.get(item.nodeid, 0), 1)
        case.outcomes["xfailed" if hasattr(report, "wasxfail") else report.outcome] += 1
    return report


def database_label() -> str:
    return ("PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgresql")
            else "SQLite")


def _result(case: Case) -> str:
    n = sum(case.outcomes.values())
    if case.outcomes.get("passed") == n:
        return "passed" if n == 1 else f"passed ({n} of {n})"
    return ", ".join(f"{k} {v}" for k, v in sorted(case.outcomes.items()))


def section(label: str, cases: list[Case]) -> str:
    order = {g: i for i, g in enumerate(UNITS)}
    cases = sorted(cases, key=lambda c: order.get(c.group, len(order)))
    lines = [f"<!-- casebook:{label} -->", f"## {label}", "",
             "| Group | Cases | Tried | Passed | Not passed |", "| --- | ---: | ---: | ---: | ---: |"]
    groups: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        groups[c.group].append(c)
    for group, members in groups.items():
        passed = sum(1 for c in members if _result(c).startswith("passed"))
        lines.append(f"| {group} | {len(members)} | "
                     f"{sum(c.tried for c in members):,} {UNITS.get(group, 'cases')} | "
                     f"{passed} | {len(members) - passed} |")
    lines += ["", "| Group | Case | Tried | Result |", "| --- | --- | ---: | --- |"]
    for c in cases:
        title = c.title.replace("|", "\\|")
        lines.append(f"| {c.group} | {title} | {c.tried:,} | {_result(c)} |")
    lines += ["", f"<!-- /casebook:{label} -->"]
    return "\n".join(lines)


def write(path: Path, label: str, cases: list[Case]) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    new = section(label, cases)
    pattern = re.compile(rf"<!-- casebook:{label} -->.*?<!-- /casebook:{label} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text)
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text, encoding="utf-8")


def pytest_sessionfinish(session, exitstatus):
    target = session.config.getoption("--casebook")
    if target and _cases:
        write(Path(target), database_label(), list(_cases.values()))


def pytest_terminal_summary(terminalreporter):
    if not _cases:
        return
    totals: dict[str, int] = defaultdict(int)
    for c in _cases.values():
        totals[c.group] += c.tried
    terminalreporter.write_sep("-", f"casebook ({database_label()})")
    for group, n in totals.items():
        terminalreporter.write_line(f"{group}: {n:,} {UNITS.get(group, 'cases')}")
