"""One process of the load test (tests/reliability/test_concurrent_intake.py), run as a script:

    python tests/reliability/load_worker.py '{"role": "intake", ...}'

It imports everything and opens its engine, prints "ready", waits for "go" on standard
input (so every process starts writing at the same moment), works, and prints one line of
JSON with what it did.

- role "intake": `count` intakes through core.cases.open_case as the given agent, each with a
  unique token in its subject. A Busy error is what a user would see on the intake page
  ("The database is busy..."): it is counted and the same intake is tried again, as the
  person would. Any other exception is counted too (with a sample of its text).
- role "reader": the dashboard and the queue (core.analytics.overview, core.queue.case_queue)
  in a loop until "stop" arrives on standard input.
"""
from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import analytics, cases, queue  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.clock import utcnow  # noqa: E402
from core.errors import Busy  # noqa: E402
from core.uow import UnitOfWork  # noqa: E402
from core.vocabulary import Role  # noqa: E402
from db.session import make_engine  # noqa: E402

MAX_TRIES = 50  # per intake: a person would give up long before


def _sample(samples: list[str], e: BaseException) -> None:
    if len(samples) < 5:
        samples.append("".join(traceback.format_exception_only(type(e), e)).strip()[:500])


def intake(uow: UnitOfWork, actor: Actor, job: dict) -> dict:
    customers = job["customers"]
    tag = job["tag"]
    attempted = succeeded = busy = other = lock_text = 0
    samples: list[str] = []
    done: list[list] = []        # [token, case id]
    given_up: list[str] = []
    for i in range(job["count"]):
        token = f"{tag}-{i:05d}"
        first_contact = i % 3 == 0   # a third resolved on the spot: the case is updated too
        values = dict(customer_id=customers[i % len(customers)], channel=("phone", "email",
                      "chat")[i % 3], kind="inquiry", category="delivery",
                      subject=f"Parcel {token}", question=f"Where is my parcel? ({token})")
        if first_contact:
            values.update(answer="It ships tomorrow.", resolved_now=True)
        else:
            values.update(next_step="We will call back tomorrow.")
        for _attempt in range(MAX_TRIES):
            attempted += 1
            try:
                receipt = cases.open_case(uow, actor, **values)
            except Busy as e:         # shown to the user, who clicks again
                busy += 1
                _sample(samples, e)
                time.sleep(0.05)
                continue
            except Exception as e:   # a traceback on the user's screen
                other += 1
                if "locked" in str(e).lower():
                    lock_text += 1
                _sample(samples, e)
                time.sleep(0.05)
                continue
            succeeded += 1
            done.append([token, receipt.case_id])
            break
        else:
            given_up.append(token)
    return {"attempted": attempted, "succeeded": succeeded, "busy": busy, "other": other,
            "lock_text": lock_text, "samples": samples, "done": done, "given_up": given_up}


def reader(uow: UnitOfWork, actor: Actor, stop: threading.Event) -> dict:
    reads = busy = other = 0
    samples: list[str] = []
    while not stop.is_set():
        today = utcnow().date()
        try:
            analytics.overview(uow, actor, analytics.Filters(today - timedelta(days=30),
                                                             today + timedelta(days=1)))
            queue.case_queue(uow, actor, scope="team", order="urgent")
            queue.case_queue(uow, actor, scope="unassigned", order="newest")
            reads += 3
        except Busy as e:
            busy += 1
            _sample(samples, e)
        except Exception as e:
            other += 1
            _sample(samples, e)
            time.sleep(0.05)
    return {"reads": reads, "busy": busy, "other": other, "samples": samples}


def main() -> None:
    job = json.loads(sys.argv[1])
    engine = make_engine(job["database_url"])
    uow = UnitOfWork(engine)
    actor = Actor(job["staff_id"], job["username"], job["username"],
                  frozenset(Role(r) for r in job["roles"]))
    with engine.connect():
        pass
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    started = time.perf_counter()
    if job["role"] == "intake":
        result = intake(uow, actor, job)
    else:
        stop = threading.Event()

        def wait_for_stop() -> None:
            sys.stdin.readline()
            stop.set()
        threading.Thread(target=wait_for_stop, daemon=True).start()
        result = reader(uow, actor, stop)
    result["seconds"] = round(time.perf_counter() - started, 2)
    engine.dispose()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
