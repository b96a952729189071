"""The decision logic, pure: health results in, decisions out. No I/O, no clock of its own.

Hysteresis, so one bad answer never moves a tool:
- an endpoint is *down* after N consecutive hard failures (blocked, rejected, unreachable, ...) or M
  consecutive failures of any class (soft ones such as overloaded or rate-limited clear by themselves);
- a candidate counts only with a fresh healthy result;
- switching back needs the preferred choice healthy for a configured time, and only undoes our own failover
  (a choice the user made by hand is never reverted);
- automatic switches of one tool are at least `dwell_s` apart, so alternating failures cannot flap it.
Suggestions and notes are emitted once per situation, not on every check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from switchover.core.balance.forecast import result_forecast
from switchover.core.balance.results import BalanceResult, BalanceStatus, format_money
from switchover.core.failover.chains import Candidate
from switchover.core.failover.decisions import Action, Decision, DecisionKind
from switchover.core.failover.settings import FailoverSettings, Mode
from switchover.core.health import statuses
from switchover.core.health.results import HealthResult, HealthStatus
from switchover.core.health.statuses import STATUSES, FailureClass, failure_class
from switchover.core.store import ChainEntry

# The failure classes are part of the one status vocabulary (`core.health.statuses`), re-exported here.
HARD_STATUSES = frozenset(s for s, info in STATUSES.items() if info.failure is FailureClass.HARD)
SOFT_STATUSES = frozenset(s for s, info in STATUSES.items() if info.failure is FailureClass.SOFT)


# ---------------------------------------------------------------- per-endpoint health memory


@dataclass
class EndpointHealth:
    last: HealthResult | None = None
    last_at: float | None = None  # monotonic time we recorded `last`
    failures: list[HealthResult] = field(default_factory=list)  # the current run of failures (bounded)
    failure_weight: int = 0  # consecutive failures, any class (a long Retry-After weighs a full M)
    hard_failures: int = 0  # hard failures within the current run
    healthy_since: float | None = None  # monotonic time of the first healthy result in the current run
    first_healthy: HealthResult | None = None
    not_before: float = 0.0  # do not check before this monotonic time (rate limiting)
    rate_limit_strikes: int = 0


class HealthLedger:
    """What the checks said, per endpoint (`provider/protocol`), with the counters hysteresis needs."""

    def __init__(self, settings: FailoverSettings):
        self.settings = settings
        self._endpoints: dict[str, EndpointHealth] = {}
        self._balances: dict[str, tuple[BalanceResult, float]] = {}  # provider -> last verdict on its money

    def get(self, key: str) -> EndpointHealth:
        return self._endpoints.setdefault(key, EndpointHealth())

    def record(self, result: HealthResult, now: float) -> None:
        health = self.get(result.endpoint_key)
        health.last, health.last_at = result, now
        kind = failure_class(result.status)
        if kind is None:
            if health.healthy_since is None:
                health.healthy_since, health.first_healthy = now, result
            health.failures.clear()
            health.failure_weight = health.hard_failures = 0
            health.rate_limit_strikes = 0
            health.not_before = 0.0
            return
        health.healthy_since = health.first_healthy = None
        health.failures = [*health.failures, result][-(max(self.settings.hard_threshold,
                                                           self.settings.soft_threshold) + 2):]
        health.failure_weight += 1
        if kind is FailureClass.HARD:
            health.hard_failures += 1
        if result.status is HealthStatus.RATE_LIMITED:
            self._back_off(health, result, now)
        else:
            health.rate_limit_strikes = 0
            health.not_before = 0.0

    def _back_off(self, health: EndpointHealth, result: HealthResult, now: float) -> None:
        """Honour Retry-After; without one, double the pause on each strike (capped)."""
        settings = self.settings
        health.rate_limit_strikes += 1
        if result.retry_after_s is not None:
            wait = result.retry_after_s
            # Limited for longer than M intervals: waiting M checks would only delay the obvious.
            if wait >= settings.interval_s * settings.soft_threshold:
                health.failure_weight = max(health.failure_weight, settings.soft_threshold)
        else:
            wait = min(settings.interval_s * 2 ** (health.rate_limit_strikes - 1), settings.max_backoff_s)
        health.not_before = now + wait

    def is_down(self, key: str) -> bool:
        health = self.get(key)
        return (
            health.hard_failures >= self.settings.hard_threshold
            or health.failure_weight >= self.settings.soft_threshold
            or self.balance_blocks(key)
        )

    def is_failing(self, key: str) -> bool:
        return bool(self.get(key).failures) or self.balance_blocks(key)

    def is_usable(self, key: str, now: float) -> bool:
        """Healthy on its latest check, that check is recent enough to trust, and its money is not used up."""
        health = self.get(key)
        return (
            health.last is not None
            and health.last.healthy
            and health.last_at is not None
            and now - health.last_at <= self.settings.stale_after_s
            and not self.balance_blocks(key)
        )

    # ------------------------------------------------------------ balance evidence (issue 18)

    def record_balance(self, result: BalanceResult, now: float) -> None:
        """A reading that says something about the money replaces the last one; a failed probe says nothing
        and keeps it, unless it is so old (three balance rounds) that it no longer counts."""
        if result.status.has_amount or result.status is BalanceStatus.UNAVAILABLE:
            self._balances[result.provider] = (result, now)
            return
        kept = self._balances.get(result.provider)
        if kept is not None and now - kept[1] > 3 * self.settings.balance_interval_s:
            del self._balances[result.provider]

    def balance(self, provider: str) -> BalanceResult | None:
        kept = self._balances.get(provider)
        return kept[0] if kept else None

    def balance_blocks(self, key: str) -> bool:
        """The endpoint's provider has no money left, and the settings count that as a hard failure."""
        result = self.balance(_provider_of(key))
        return self.settings.empty_balance_fails and result is not None and result.status is BalanceStatus.EMPTY

    def balance_low(self, provider: str) -> BalanceResult | None:
        result = self.balance(provider)
        return result if result is not None and result.status is BalanceStatus.LOW else None

    def healthy_for(self, key: str, now: float) -> float:
        health = self.get(key)
        if health.healthy_since is None or not self.is_usable(key, now):
            return 0.0
        return now - health.healthy_since

    def is_due(self, key: str, now: float) -> bool:
        return self.get(key).not_before <= now

    def next_release(self, now: float) -> float | None:
        """The earliest time a backed-off endpoint may be checked again."""
        pending = [h.not_before for h in self._endpoints.values() if h.not_before > now]
        return min(pending) if pending else None

    def forget(self) -> None:
        """After sleep nothing we knew is current: start counting afresh."""
        self._endpoints.clear()
        self._balances.clear()


def _provider_of(key: str) -> str:
    return key.split("/", 1)[0]


# ---------------------------------------------------------------- per-tool state and decisions


@dataclass(frozen=True)
class ToolView:
    """One tool as the monitor sees it this round."""

    tool: str
    label: str
    mode: Mode
    candidates: tuple[Candidate, ...]  # usable chain entries, in chain order
    active: Candidate | None  # what the tool's config points at (None: unknown or not a store provider)
    active_position: int | None = None  # the active choice's index in the chain, if it is in it


@dataclass
class ToolState:
    last_switch_at: float | None = None  # monotonic time of the last switch we made (or tried)
    switched_to: ChainEntry | None = None
    failed_over: bool = False  # `switched_to` came from a failover, so switching back applies
    open_suggestion: Decision | None = None
    outage: str | None = None  # endpoint key we reported trouble for (to say "recovered" once)
    noted: str | None = None  # signature of the last note, so notes are not repeated every check

    def note_switch(self, decision: Decision, now: float) -> None:
        self.last_switch_at = now
        if decision.switched:
            self.switched_to = decision.to_choice
            self.failed_over = decision.moved_away
            self.open_suggestion = None
            self.outage = None
            self.noted = None


def same_choice(a: ChainEntry | None, b: ChainEntry | None) -> bool:
    return a is not None and b is not None and a.provider == b.provider and (a.model or "") == (b.model or "")


def match_position(candidates: Sequence[Candidate], provider: str, model: str | None) -> int | None:
    """Where the tool's active choice sits in its chain: exact provider/model first, else same provider."""
    for candidate in candidates:
        if candidate.provider.name == provider and candidate.model == model:
            return candidate.position
    return next((c.position for c in candidates if c.provider.name == provider), None)


def trouble_phrase(result: HealthResult | None) -> str:
    """"region-blocked", as in "DeepSeek is region-blocked" (the status vocabulary's phrase)."""
    return "failing" if result is None else statuses.phrase(result.status)


def health_phrase(result: HealthResult | None) -> str:
    """"works, 310 ms": the status (the vocabulary's label, mid-sentence) and latency a notification shows."""
    return "not checked" if result is None else statuses.in_sentence(result.status, result.latency_ms)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class FailoverPolicy:
    """Decides, for one tool at a time, whether to fail over, switch back, hold, or say nothing."""

    def __init__(self, settings: FailoverSettings):
        self.settings = settings

    def decide(
        self, view: ToolView, ledger: HealthLedger, state: ToolState, now: float, wall: float
    ) -> Decision | None:
        """`now` is monotonic (for timing), `wall` is time.time() (stamped on the decision)."""
        if view.mode is Mode.OFF or view.active is None:
            state.open_suggestion = None
            return None
        active = view.active
        if state.switched_to is not None and not same_choice(active.choice, state.switched_to):
            state.switched_to, state.failed_over = None, False  # changed by hand since: leave it alone
        if state.open_suggestion is not None and not same_choice(active.choice, state.open_suggestion.from_choice):
            state.open_suggestion = None
        key = active.endpoint_key
        if ledger.is_down(key):
            return self._failover(view, active, ledger, state, now, wall)
        if ledger.is_failing(key):
            return None  # not down yet: the monitor re-checks soon
        last = ledger.get(key).last
        if state.outage == key and last is not None and last.healthy:
            return self._recovered(view, active, last, state, wall)
        low = ledger.balance_low(active.provider.name)
        if low is not None:
            return self._low_balance(view, active, low, ledger, state, now, wall)
        if state.open_suggestion is not None and state.open_suggestion.kind is DecisionKind.LOW_BALANCE:
            state.open_suggestion = None  # topped up since: that suggestion is moot
        if state.failed_over and view.active_position is not None:
            return self._switch_back(view, active, ledger, state, now, wall)
        return None

    def _failover(
        self, view: ToolView, active: Candidate, ledger: HealthLedger, state: ToolState, now: float, wall: float
    ) -> Decision | None:
        key = active.endpoint_key
        failures = tuple(ledger.get(key).failures)
        latest = failures[-1] if failures else None
        empty = ledger.balance(active.provider.name) if ledger.balance_blocks(key) else None
        trouble = f"{view.label}: {active.provider.display_name} is {trouble_phrase(latest)}" if empty is None else (
            f"{view.label}: {active.provider.display_name}'s balance is used up ({empty.money()})")
        target = _pick(view, key, ledger, now)
        state.outage = key
        if target is None:
            others = [c for c in view.candidates if c.endpoint_key != key]
            detail = "; ".join(
                f"{c.provider.display_name}: {health_phrase(ledger.get(c.endpoint_key).last)}" for c in others
            )
            message = f"{trouble}, and no other choice in its chain is healthy" + (f" ({detail})." if detail else ".")
            evidence = failures + tuple(
                r for r in (ledger.get(c.endpoint_key).last for c in others) if r is not None
            )
            return _with_balance(self._note(view, DecisionKind.NO_CANDIDATE, active, None, message, evidence, state,
                                            wall, signature=f"none:{key}"), empty)
        target_result = ledger.get(target.endpoint_key).last
        evidence = (*failures, *(r for r in (target_result,) if r is not None))
        return _with_balance(self._propose(
            view, DecisionKind.FAILOVER, active, target, trouble, evidence, state, now, wall,
            suggest=f"{trouble}. Switch to {target.label} ({health_phrase(target_result)})?",
            done=f"{trouble}. Switched to {target.label} ({health_phrase(target_result)}).",
        ), empty)

    def _low_balance(
        self, view: ToolView, active: Candidate, low: BalanceResult, ledger: HealthLedger, state: ToolState,
        now: float, wall: float,
    ) -> Decision | None:
        """Running out soon: offer the next healthy chain entry before any request fails. Only a suggestion,
        unless the settings let a low balance move the tool (then auto mode switches, with the dwell time)."""
        key = active.endpoint_key
        name = active.provider.display_name
        ahead = result_forecast(low, name)
        why = f"{view.label}: {name}'s balance is low ({low.money()} left" + (
            f", below {_threshold_text(low)})" if low.threshold is not None else ")")
        why += f". {ahead.removesuffix('.')}" if ahead else ""
        target = _pick(view, key, ledger, now)
        if target is None:
            return _with_balance(self._note(
                view, DecisionKind.NO_CANDIDATE, active, None, f"{why}, and no other choice in its chain is healthy.",
                (), state, wall, signature=f"low-none:{key}"), low)
        target_result = ledger.get(target.endpoint_key).last
        evidence = tuple(r for r in (target_result,) if r is not None)
        acting = view if self.settings.low_balance_prefers_next else replace(view, mode=Mode.SUGGEST)
        return _with_balance(self._propose(
            acting, DecisionKind.LOW_BALANCE, active, target, why, evidence, state, now, wall,
            suggest=f"{why}. Switch to {target.label} ({health_phrase(target_result)}) before it runs out?",
            done=f"{why}. Switched to {target.label} ({health_phrase(target_result)}).",
        ), low)

    def _switch_back(
        self, view: ToolView, active: Candidate, ledger: HealthLedger, state: ToolState, now: float, wall: float
    ) -> Decision | None:
        assert view.active_position is not None
        wanted = self.settings.switch_back_after_s
        for candidate in view.candidates:
            if candidate.position >= view.active_position or candidate.endpoint_key == active.endpoint_key:
                continue
            healthy_for = ledger.healthy_for(candidate.endpoint_key, now)
            if not ledger.is_usable(candidate.endpoint_key, now) or healthy_for < wanted:
                continue
            if ledger.balance_low(candidate.provider.name) is not None:
                continue  # not back to a provider that is running out
            health = ledger.get(candidate.endpoint_key)
            evidence = tuple(r for r in (health.first_healthy, health.last) if r is not None)
            evidence = tuple(dict.fromkeys(evidence))
            why = (
                f"{view.label}: {candidate.provider.display_name} has been healthy for {_duration(healthy_for)}"
            )
            phrase = health_phrase(health.last)
            return self._propose(
                view, DecisionKind.SWITCH_BACK, active, candidate, why, evidence, state, now, wall,
                suggest=f"{why}. Switch back from {active.label} to {candidate.label} ({phrase})?",
                done=f"{why}. Switched back from {active.label} to {candidate.label} ({phrase}).",
            )
        return None

    def _recovered(
        self, view: ToolView, active: Candidate, last: HealthResult, state: ToolState, wall: float
    ) -> Decision:
        state.outage = state.noted = None
        state.open_suggestion = None
        return Decision(
            tool=view.tool, tool_label=view.label, kind=DecisionKind.RECOVERED, action=Action.NOTED,
            mode=view.mode.value, from_choice=active.choice, to_choice=None,
            message=f"{view.label}: {active.provider.display_name} is healthy again ({health_phrase(last)}).",
            evidence=(last,), at=wall,
        )

    def _propose(
        self,
        view: ToolView,
        kind: DecisionKind,
        active: Candidate,
        target: Candidate,
        why: str,
        evidence: tuple[HealthResult, ...],
        state: ToolState,
        now: float,
        wall: float,
        *,
        suggest: str,
        done: str,
    ) -> Decision | None:
        if view.mode is Mode.SUGGEST:
            open_ = state.open_suggestion
            if open_ is not None and open_.kind is kind and same_choice(open_.to_choice, target.choice):
                return None  # already asked; the notification is still there
            decision = Decision(
                tool=view.tool, tool_label=view.label, kind=kind, action=Action.SUGGESTED, mode=view.mode.value,
                from_choice=active.choice, to_choice=target.choice, message=suggest, evidence=evidence, at=wall,
            )
            state.open_suggestion = decision
            return decision
        since = None if state.last_switch_at is None else now - state.last_switch_at
        if since is not None and since < self.settings.dwell_s:
            if kind is DecisionKind.SWITCH_BACK:
                return None  # not urgent: the current choice works; try again once the dwell time is over
            wait = self.settings.dwell_s - since
            message = (
                f"{why}. {target.label} is {health_phrase(ledger_last(evidence, target))}, but the last automatic "
                f"switch was {_duration(since)} ago; switching in {_duration(wait)} at the earliest "
                f"(minimum {_duration(self.settings.dwell_s)} between switches)."
            )
            return self._note(view, DecisionKind.HELD, active, target, message, evidence, state, wall,
                              signature=f"held:{kind}:{target.choice}")
        return Decision(
            tool=view.tool, tool_label=view.label, kind=kind, action=Action.SWITCHED, mode=view.mode.value,
            from_choice=active.choice, to_choice=target.choice, message=done, evidence=evidence, at=wall,
        )

    @staticmethod
    def _note(
        view: ToolView,
        kind: DecisionKind,
        active: Candidate,
        target: Candidate | None,
        message: str,
        evidence: tuple[HealthResult, ...],
        state: ToolState,
        wall: float,
        *,
        signature: str,
    ) -> Decision | None:
        if state.noted == signature:
            return None
        state.noted = signature
        return Decision(
            tool=view.tool, tool_label=view.label, kind=kind, action=Action.NOTED, mode=view.mode.value,
            from_choice=active.choice, to_choice=target.choice if target else None, message=message,
            evidence=evidence, at=wall,
        )


def _pick(view: ToolView, key: str, ledger: HealthLedger, now: float) -> Candidate | None:
    """The first usable chain entry other than the active one, preferring those not running low."""
    usable = [c for c in view.candidates if c.endpoint_key != key and ledger.is_usable(c.endpoint_key, now)]
    return next((c for c in usable if ledger.balance_low(c.provider.name) is None), usable[0] if usable else None)


def _with_balance(decision: Decision | None, balance: BalanceResult | None) -> Decision | None:
    if decision is None or balance is None:
        return decision
    return replace(decision, balance=(balance,))


def _threshold_text(result: BalanceResult) -> str:
    amount = format_money(result.threshold, result.currency)
    return f"{amount}, about three days of spend" if result.threshold_source == "spend" else amount


def ledger_last(evidence: Sequence[HealthResult], target: Candidate) -> HealthResult | None:
    return next((r for r in reversed(evidence) if r.endpoint_key == target.endpoint_key), None)
