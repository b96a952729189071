"""A tool's state in words (issue 14, findings 3 and 4): ok / problem / not checked / unknown, never "healthy"
without a check; overrides and unreadable configs are problems; the worst state wins."""

from __future__ import annotations

from pathlib import Path

from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.shell_startup import VariableSetting
from switchover.core.switching.contract import CurrentChoice, Detection, Override
from switchover.core.switching.engine import ToolStatus
from switchover.services.conflicts import Conflict
from switchover.services.switching import ToolRow
from switchover.services.tool_state import ToolHealth, overall, summary, tool_state, tool_states

OPENAI = Provider("openai", (Endpoint.make(Protocol.OPENAI_RESPONSES, "https://api.openai.com/v1"),), ("gpt-5",),
                  credential=Credential.keychain(), label="OpenAI")
WORDS = {HealthStatus.OK: "Works", HealthStatus.REGION_BLOCKED: "Blocked in your region"}


def words(status: HealthStatus) -> str:
    return WORDS.get(status, status.value)


def row(current: CurrentChoice | None, provider: Provider | None = OPENAI, error: str | None = None,
        tool: str = "codex") -> ToolRow:
    status = ToolStatus(tool, "Codex CLI", Detection(True, None, ()), current, error)
    key = f"{provider.name}/openai-responses" if provider is not None else None
    return ToolRow(status, provider, key, (Protocol.OPENAI_RESPONSES,))


CURRENT = CurrentChoice("https://api.openai.com/v1", "gpt-5", Protocol.OPENAI_RESPONSES)


def result(status: HealthStatus, latency: float | None = 120.0) -> dict[str, HealthResult]:
    return {"openai/openai-responses": HealthResult("openai", "openai-responses", "u", Tier.AUTH, status,
                                                    "The provider refuses requests from your region.", latency)}


def test_states_in_words() -> None:
    blocked = tool_state(row(CURRENT), result(HealthStatus.REGION_BLOCKED), words)
    assert blocked.health is ToolHealth.PROBLEM
    assert blocked.line == "Codex CLI — OpenAI · gpt-5 · blocked in your region"
    assert "region" in blocked.detail
    ok = tool_state(row(CURRENT), result(HealthStatus.OK), words)
    assert ok.health is ToolHealth.OK and ok.line == "Codex CLI — OpenAI · gpt-5 · works, 120 ms"
    unchecked = tool_state(row(CURRENT), {}, words)
    assert unchecked.health is ToolHealth.NOT_CHECKED and unchecked.why == "not checked yet"
    foreign = tool_state(row(CurrentChoice("https://elsewhere.example.com/v1", "m", Protocol.OPENAI_RESPONSES),
                             provider=None), {}, words)
    assert foreign.health is ToolHealth.UNKNOWN and foreign.why == "not one of your providers"
    assert tool_state(row(None), {}, words).why == "not set up"
    broken = tool_state(row(None, error="~/.codex/config.toml line 3: expected '='"), {}, words)
    assert broken.health is ToolHealth.PROBLEM and "line 3" in broken.detail


def test_overrides_are_problems_even_when_the_endpoint_works() -> None:
    exported = Conflict("codex", "Codex CLI", VariableSetting("OPENAI_BASE_URL", Path("/h/.bashrc"), 3), True,
                        Path("/h"))
    overridden = tool_state(row(CURRENT), result(HealthStatus.OK), words, [exported])
    assert overridden.health is ToolHealth.PROBLEM
    assert overridden.why == "overridden by $OPENAI_BASE_URL in ~/.bashrc line 3"
    ranked = CurrentChoice(CURRENT.base_url, "gpt-5", Protocol.OPENAI_RESPONSES,
                           overrides=(Override("this project's config sets the model", Path("/p/.codex/config.toml"),
                                               "model"),))
    assert tool_state(row(ranked), result(HealthStatus.OK), words).health is ToolHealth.PROBLEM


def test_worst_wins_and_the_summary_counts() -> None:
    states = tool_states([row(CURRENT), row(CURRENT, tool="other")], result(HealthStatus.OK), words)
    assert overall(states) is ToolHealth.OK and summary(states) == "Every tool's provider answers"
    states = tool_states([row(CURRENT)], {}, words) + tool_states([row(CURRENT)], result(HealthStatus.OK), words)
    assert overall(states) is ToolHealth.NOT_CHECKED and summary(states) == "1 of 2 tools not checked yet"
    states.append(tool_state(row(CURRENT), result(HealthStatus.REGION_BLOCKED), words))
    assert overall(states) is ToolHealth.PROBLEM and summary(states) == "1 of 3 tools need attention"
    assert overall([]) is None and summary([]) == "No coding tools found"
