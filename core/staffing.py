"""Staffing maths for the staffing planner: how many agents each hour needs so that the
channel's service standard holds (phone answered within 15 s for 80% of calls, chat within
5 min), by the Erlang C queueing model.

Pure: arrivals and handling times in, numbers and dataclasses out. The page reads the
arrivals from the database and shows the result beside the staff actually scheduled.

Erlang C assumes contacts arrive at random (Poisson), handling times are exponential and
nobody hangs up while waiting. Real callers do hang up, so the figures lean to the safe
side (a few agents more than strictly needed), which is how planners use them.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core import validate
from core.errors import ValidationError
from core.i18n import N_
from core.vocabulary import Channel

SECONDS_PER_HOUR = 3600

# Rounding a quotient such as 20 / (1 - 0.2) must not turn 25 into 26 because the float
# came out as 25.000000000000004; no staffing figure needs more precision than this.
_ROUNDING_SLACK = 1e-9

# (weekday, hour): weekday 0 = Monday … 6 = Sunday as in date.weekday(), hour 0–23. SQLite's
# strftime('%w') and PostgreSQL's DOW count from Sunday: shift them when reading arrivals.
Slot = tuple[int, int]


@dataclass(frozen=True)
class ServiceStandard:
    """`target_share` of the contacts answered within `target_seconds`."""
    target_seconds: float
    target_share: float


# E-mail, web and the other channels without a standard here are answered within the
# business day, not while the customer waits, so they have no queue to model: the planner
# counts them as workload hours (see plan_week).
DEFAULT_STANDARDS: Mapping[Channel, ServiceStandard] = MappingProxyType({
    Channel.PHONE: ServiceStandard(target_seconds=15, target_share=0.80),
    Channel.CHAT: ServiceStandard(target_seconds=300, target_share=0.80),
})


@dataclass(frozen=True)
class ServiceForecast:
    """What an hour looks like with a given number of agents answering."""
    arrival_per_hour: float
    aht_seconds: float
    agents: int
    target_seconds: float
    traffic: float             # Erlangs: agents' worth of work arriving, on average
    settles: bool              # False: more work arrives than the agents can handle
    wait_probability: float    # share of contacts that are not answered at once
    service_level: float       # share answered within target_seconds
    asa_seconds: float         # average speed of answer; math.inf when the queue never settles
    occupancy: float           # share of the agents' time handling contacts (1.0 if not settles)


@dataclass(frozen=True)
class ChannelDemand:
    """A channel's forecast: arrivals per hour in each (weekday, hour), and how long a contact
    takes on average."""
    arrivals: Mapping[Slot, float]
    aht_seconds: float


@dataclass(frozen=True)
class HourPlan:
    channel: Channel
    weekday: int
    hour: int
    arrival_per_hour: float
    aht_seconds: float
    traffic: float
    agents_needed: int          # answering at the same time
    staff_to_schedule: int      # agents_needed grossed up for shrinkage
    wait_probability: float
    service_level: float
    asa_seconds: float
    occupancy: float


@dataclass(frozen=True)
class WorkloadHour:
    """A channel without a live queue: the agent-hours of work its contacts bring in this hour."""
    channel: Channel
    weekday: int
    hour: int
    arrival_per_hour: float
    aht_seconds: float
    workload_hours: float


@dataclass(frozen=True)
class StaffingPlan:
    hours: tuple[HourPlan, ...]          # phone, chat: Erlang C per hour
    workload: tuple[WorkloadHour, ...]   # e-mail, web, …: work to fit into the business day

    def daily_workload_hours(self) -> dict[tuple[Channel, int], float]:
        """(channel, weekday) → agent-hours: the figure that matters for work that may be done
        at any hour of the business day."""
        days: dict[tuple[Channel, int], float] = {}
        for row in self.workload:
            key = (row.channel, row.weekday)
            days[key] = days.get(key, 0.0) + row.workload_hours
        return days


def traffic_erlangs(arrival_per_hour: float, aht_seconds: float) -> float:
    """Erlangs: agent-hours of work arriving per hour, i.e. how many agents the work would keep
    busy if it came evenly."""
    arrival, aht = _demand(arrival_per_hour, aht_seconds)
    return arrival * aht / SECONDS_PER_HOUR


def wait_probability(traffic: float, agents: int) -> float:
    """Erlang C: the chance a contact finds every agent busy and waits; 1.0 when the agents
    cannot keep up (agents ≤ traffic), 0.0 when no work arrives."""
    message = N_("Arrivals per hour cannot be negative.")    # traffic comes from them
    traffic = _number(traffic, message)
    if traffic < 0:
        raise ValidationError(message)
    agents = _agents(agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    return _erlang_c(traffic, agents, _erlang_b(traffic, agents))


def service_forecast(arrival_per_hour: float, aht_seconds: float, agents: int,
                     target_seconds: float) -> ServiceForecast:
    """Service level, waiting and occupancy with `agents` answering; used both to size the
    team and to judge the staff actually scheduled."""
    arrival, aht = _demand(arrival_per_hour, aht_seconds)
    agents, target = _agents(agents), _target_seconds(target_seconds)
    traffic = arrival * aht / SECONDS_PER_HOUR
    if traffic == 0:
        return ServiceForecast(arrival, aht, agents, target, 0.0, settles=True,
                               wait_probability=0.0, service_level=1.0, asa_seconds=0.0,
                               occupancy=0.0)
    if agents <= traffic:
        # The queue grows for as long as the hour lasts: nobody is sure to be answered in
        # time, and the agents never have a free moment.
        return ServiceForecast(arrival, aht, agents, target, traffic, settles=False,
                               wait_probability=1.0, service_level=0.0, asa_seconds=math.inf,
                               occupancy=1.0)
    waits = _erlang_c(traffic, agents, _erlang_b(traffic, agents))
    return ServiceForecast(
        arrival, aht, agents, target, traffic, settles=True, wait_probability=waits,
        service_level=_service_level(waits, traffic, agents, target, aht),
        asa_seconds=waits * aht / (agents - traffic), occupancy=traffic / agents)


def agents_needed(arrival_per_hour: float, aht_seconds: float, target_seconds: float,
                  target_share: float, max_occupancy: float | None = None) -> int:
    """The fewest agents answering at once so that `target_share` of the contacts are answered
    within `target_seconds` and, if a cap is given, occupancy stays at or under it."""
    arrival, aht = _demand(arrival_per_hour, aht_seconds)
    target, share = _target_seconds(target_seconds), _share(target_share)
    cap = None if max_occupancy is None else _occupancy_cap(max_occupancy)
    traffic = arrival * aht / SECONDS_PER_HOUR
    if traffic == 0:
        return 0
    least = math.floor(traffic) + 1    # fewer and the queue never settles
    if cap is not None:
        least = max(least, math.ceil(traffic / cap - _ROUNDING_SLACK))
    # Walk the Erlang B recursion up once instead of restarting it for every candidate, so a
    # busy hour of hundreds of Erlangs still costs one pass.
    agents, blocking = least, _erlang_b(traffic, least)
    while True:
        waits = _erlang_c(traffic, agents, blocking)
        if _service_level(waits, traffic, agents, target, aht) >= share:
            return agents
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)


def staff_to_schedule(agents: int, shrinkage: float) -> int:
    """Agents answering → people on the rota, when `shrinkage` of their paid time goes to
    breaks, training, meetings and the like."""
    agents, lost = _agents(agents), _shrinkage(shrinkage)
    return math.ceil(agents / (1 - lost) - _ROUNDING_SLACK)


def agents_available(scheduled: int, shrinkage: float) -> int:
    """People on the rota → agents answering on average; the inverse of staff_to_schedule, to
    set the staff actually scheduled beside what the plan needs."""
    scheduled, lost = _agents(scheduled), _shrinkage(shrinkage)
    return math.floor(scheduled * (1 - lost) + _ROUNDING_SLACK)


def plan_channel(channel: Channel, demand: ChannelDemand, standard: ServiceStandard, *,
                 max_occupancy: float | None = None, shrinkage: float = 0.0
                 ) -> tuple[HourPlan, ...]:
    """Agents needed in each (weekday, hour) of one queued channel, in weekday-hour order.

    Each channel is planned as its own queue: an agent who takes phone and chat from one
    pooled queue would need somewhat fewer in total, so the sum over channels errs on the
    safe side."""
    _shrinkage(shrinkage)    # refused before any hour is worked out
    rows = []
    for (weekday, hour), arrival in sorted(demand.arrivals.items()):
        agents = agents_needed(arrival, demand.aht_seconds, standard.target_seconds,
                               standard.target_share, max_occupancy)
        forecast = service_forecast(arrival, demand.aht_seconds, agents, standard.target_seconds)
        rows.append(HourPlan(
            channel=channel, weekday=weekday, hour=hour,
            arrival_per_hour=forecast.arrival_per_hour, aht_seconds=forecast.aht_seconds,
            traffic=forecast.traffic, agents_needed=agents,
            staff_to_schedule=staff_to_schedule(agents, shrinkage),
            wait_probability=forecast.wait_probability, service_level=forecast.service_level,
            asa_seconds=forecast.asa_seconds, occupancy=forecast.occupancy))
    return tuple(rows)


def plan_week(demand: Mapping[Channel | str, ChannelDemand],
              standards: Mapping[Channel, ServiceStandard] = DEFAULT_STANDARDS, *,
              max_occupancy: float | None = None, shrinkage: float = 0.0) -> StaffingPlan:
    """The staffing plan for every channel's forecast: channels with a standard get agents per
    hour by Erlang C; the others (e-mail, web, …) are answered within the business day, so
    they get their workload hours (arrivals × AHT / 3600) and no queue figures."""
    hours: list[HourPlan] = []
    workload: list[WorkloadHour] = []
    for key, channel_demand in demand.items():
        channel = validate.choice(Channel, key, N_("Channel"))
        standard = standards.get(channel)
        if standard is not None:
            hours.extend(plan_channel(channel, channel_demand, standard,
                                      max_occupancy=max_occupancy, shrinkage=shrinkage))
            continue
        for (weekday, hour), arrival_per_hour in sorted(channel_demand.arrivals.items()):
            arrival, aht = _demand(arrival_per_hour, channel_demand.aht_seconds)
            workload.append(WorkloadHour(
                channel=channel, weekday=weekday, hour=hour, arrival_per_hour=arrival,
                aht_seconds=aht, workload_hours=arrival * aht / SECONDS_PER_HOUR))
    return StaffingPlan(hours=tuple(hours), workload=tuple(workload))


def _erlang_b(traffic: float, agents: int) -> float:
    # B(n) = A·B(n−1) / (n + A·B(n−1)), B(0) = 1: every term stays within (0, 1], so unlike
    # A^N / N! nothing overflows, whatever the size of the team.
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def _erlang_c(traffic: float, agents: int, blocking: float) -> float:
    # The standard identity C = N·B / (N − A·(1 − B)), valid for N > A.
    return agents * blocking / (agents - traffic * (1 - blocking))


def _service_level(waits: float, traffic: float, agents: int, target_seconds: float,
                   aht_seconds: float) -> float:
    return 1 - waits * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def _number(value: object, message: str) -> float:
    # Averages come back from PostgreSQL as Decimal; the maths wants plain floats.
    if isinstance(value, bool):
        raise ValidationError(message)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(message) from None
    if not math.isfinite(number):
        raise ValidationError(message)
    return number


def _demand(arrival_per_hour: object, aht_seconds: object) -> tuple[float, float]:
    arrivals_msg = N_("Arrivals per hour cannot be negative.")
    aht_msg = N_("The average handling time must be more than zero seconds.")
    arrival, aht = _number(arrival_per_hour, arrivals_msg), _number(aht_seconds, aht_msg)
    if arrival < 0:
        raise ValidationError(arrivals_msg)
    # A channel with no contacts may have no measured handling time; it needs none.
    if aht < 0 or (aht == 0 and arrival > 0):
        raise ValidationError(aht_msg)
    return arrival, aht


def _agents(agents: object) -> int:
    if not isinstance(agents, int) or isinstance(agents, bool) or agents < 0:
        raise ValidationError(N_("The number of agents must be a whole number, 0 or more."))
    return agents


def _target_seconds(target_seconds: object) -> float:
    message = N_("The target answer time cannot be negative.")
    seconds = _number(target_seconds, message)
    if seconds < 0:
        raise ValidationError(message)
    return seconds


def _share(target_share: object) -> float:
    # 100% is out of reach: with random arrivals some contact may always have to wait.
    message = N_("The service level target must be below 100% and not negative.")
    share = _number(target_share, message)
    if not 0 <= share < 1:
        raise ValidationError(message)
    return share


def _occupancy_cap(max_occupancy: object) -> float:
    message = N_("The occupancy cap must be more than 0% and at most 100%.")
    cap = _number(max_occupancy, message)
    if not 0 < cap <= 1:
        raise ValidationError(message)
    return cap


def _shrinkage(shrinkage: object) -> float:
    message = N_("Shrinkage must be below 100% and not negative.")
    share = _number(shrinkage, message)
    if not 0 <= share < 1:
        raise ValidationError(message)
    return share
