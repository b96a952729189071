"""The one status vocabulary: complete, and the same rules wherever a status is judged."""

from __future__ import annotations

from switchover.core.failover.policy import HARD_STATUSES, SOFT_STATUSES, trouble_phrase
from switchover.core.health import statuses
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.health.statuses import STATUSES, FailureClass, Severity


def test_every_status_has_its_words_and_class() -> None:
    assert set(STATUSES) == set(HealthStatus)
    for status, info in STATUSES.items():
        assert info.code is status
        assert info.label and info.phrase and info.label[0].isupper()
        assert (info.failure is None) == status.is_healthy
    labels = [info.label for info in STATUSES.values()]
    assert len(set(labels)) == len(labels)  # a person can tell every status apart


def test_transient_is_exactly_the_policys_soft_class() -> None:
    """Issue 16: `is_transient` called TIMEOUT and UNREACHABLE transient; the policy treats them as hard."""
    for status in HealthStatus:
        assert status.is_transient == (statuses.failure_class(status) is FailureClass.SOFT), status
        assert status.is_transient == (status in SOFT_STATUSES)
    assert not HealthStatus.TIMEOUT.is_transient and HealthStatus.TIMEOUT in HARD_STATUSES
    assert not HealthStatus.UNREACHABLE.is_transient and HealthStatus.UNREACHABLE in HARD_STATUSES
    assert HealthStatus.RATE_LIMITED.is_transient and HealthStatus.OVERLOADED.is_transient


def test_the_policy_speaks_the_vocabulary() -> None:
    blocked = HealthResult("ds", "openai-chat", "https://x", Tier.AUTH, HealthStatus.REGION_BLOCKED, "why")
    assert trouble_phrase(blocked) == "region-blocked" == statuses.phrase(HealthStatus.REGION_BLOCKED)
    assert statuses.label(HealthStatus.REGION_BLOCKED) == "Blocked in your region"
    assert statuses.severity(HealthStatus.OK) is Severity.GOOD
    assert statuses.severity(HealthStatus.RATE_LIMITED) is Severity.WARN
    assert statuses.severity(HealthStatus.TIMEOUT) is Severity.BAD
