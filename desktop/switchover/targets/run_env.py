"""The environment `switchover run -- TOOL …` gives a tool Switchover has no target for.

It is what `switchover env` prints (ANTHROPIC_* / OPENAI_* and `SWITCHOVER_<NAME>_API_KEY`, from the shell
environment target's own list) with the key filled in, plus the few variables that point tools which are
configured only through the environment:

* `ANTHROPIC_API_KEY` next to `ANTHROPIC_AUTH_TOKEN`, so a key exported in the user's shell for another
  provider is not sent along (tools that read only one of the two get the right key either way);
* GitHub Copilot CLI's BYOK variables (`COPILOT_PROVIDER_*`, `COPILOT_MODEL`), verified with the pinned CLI
  (docs/real-tools.md): it has no config file for a custom provider, only these.

Variables of these families that the user's shell already exports are dropped first (a stale
`ANTHROPIC_DEFAULT_OPUS_MODEL`, `OPENAI_ORG_ID` or `COPILOT_PROVIDER_API_KEY_COMMAND`, which Copilot prefers
over the key, would otherwise steer the tool back to another provider or send it another key).

The key goes only into the child's environment: nothing here writes a file.
"""

from __future__ import annotations

from collections.abc import Mapping

from switchover.core import shell_script
from switchover.core.providers import Protocol, Provider
from switchover.core.switching.contract import SwitchRequest
from switchover.targets import common
from switchover.targets.shell_env import script

# The families of variables `run` owns in the child's environment: replaced, never mixed with the shell's.
REPLACED_PREFIXES = ("ANTHROPIC_", "OPENAI_", "COPILOT_PROVIDER_", "COPILOT_MODEL")
# Copilot CLI's provider type and wire API per protocol, in the order it is best served.
_COPILOT = (
    (Protocol.OPENAI_CHAT, "openai", "completions"),
    (Protocol.OPENAI_RESPONSES, "openai", "responses"),
    (Protocol.ANTHROPIC, "anthropic", None),
)


def child_environment(base: Mapping[str, str], provider: Provider, model: str, small_model: str | None,
                      key: str | None) -> dict[str, str]:
    """`base` (normally os.environ) plus the provider's variables. `key` is the resolved key (None: keyless)."""
    request = SwitchRequest(provider, model, small_model, ("switchover", "key", provider.name), lambda: key)
    exports = script(request).exports
    value_of_key = key if key is not None else common.LOCAL_DUMMY_KEY
    env = {name: value for name, value in base.items() if not name.startswith(REPLACED_PREFIXES)}
    for name, value in exports:
        env[name] = value_of_key if isinstance(value, shell_script.KeyRef) else value
    if "ANTHROPIC_AUTH_TOKEN" in env:
        env["ANTHROPIC_API_KEY"] = env["ANTHROPIC_AUTH_TOKEN"]
    env.update(copilot_variables(provider, model, value_of_key))
    return env


def copilot_variables(provider: Provider, model: str, key: str) -> dict[str, str]:
    """GitHub Copilot CLI's bring-your-own-key variables for this provider, or {} when it fits none."""
    for protocol, kind, wire in _COPILOT:
        endpoint = provider.endpoint(protocol)
        if endpoint is None:
            continue
        variables = {
            "COPILOT_PROVIDER_BASE_URL": endpoint.base_url,
            "COPILOT_PROVIDER_TYPE": kind,
            "COPILOT_PROVIDER_API_KEY": key,
            "COPILOT_MODEL": model,
        }
        if wire:
            variables["COPILOT_PROVIDER_WIRE_API"] = wire
        return variables
    return {}
