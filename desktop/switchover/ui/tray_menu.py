"""The tray menu's tool sections: what each tool uses and how it is doing, in words, and where it can go next.

    2 of 5 tools need attention                         (a summary, not clickable)
    Suggested: Codex CLI → DeepSeek · deepseek-chat  ▸  Switch now / Dismiss (until answered)
    Claude Code — DeepSeek · deepseek-chat · Works, 120 ms  ▸
    Codex CLI — OpenAI · gpt-5 · Blocked in your region      ▸
        Now: OpenAI · gpt-5 — the provider refuses requests from your region
        ⚠ $OPENAI_BASE_URL in ~/.bashrc line 3
        DeepSeek · Works, 80 ms   ▸  deepseek-chat, deepseek-reasoner, Other models…
        Ollama · Not checked      ▸  …
        Gemini — Codex CLI needs the OpenAI Responses API   (disabled: it cannot be used)
    Switch all tools to…                                    ▸

Choices scale: one submenu per provider (working ones first, health beside each), the provider's configured
models (a few), and "Other models…" searching every model it lists. A choice the tool cannot use (a protocol
it does not speak) or that is incomplete (no model) is shown disabled with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from switchover.core.failover.chains import pick_protocol
from switchover.core.providers import Protocol, Provider, endpoint_key
from switchover.services.tool_state import ToolState, latency_words, summary
from switchover.ui.health_format import status_label
from switchover.ui.safe_text import plain_tooltip

if TYPE_CHECKING:
    from switchover.core.health.results import HealthResult
    from switchover.services.switching import ToolRow
    from switchover.ui.app import AppController

SUGGESTED_MODELS = 5  # configured models shown in a provider's submenu; the rest under "Other models…"
PROTOCOL_WORDS = {
    Protocol.ANTHROPIC: "the Anthropic API",
    Protocol.OPENAI_CHAT: "OpenAI chat completions",
    Protocol.OPENAI_RESPONSES: "the OpenAI Responses API",
    Protocol.GEMINI: "the Gemini API",
    Protocol.OLLAMA: "Ollama's API",
}


def needs_words(protocols: Sequence[Protocol]) -> str:
    return " or ".join(PROTOCOL_WORDS.get(p, p.value) for p in protocols) or "an API Switchover knows"


class ToolMenus:
    def __init__(self, controller: AppController) -> None:
        self.controller = controller
        self.pickers: list[object] = []  # open "Other models…" dialogs (kept alive while shown)

    # ------------------------------------------------------------ health words

    def _result(self, provider: Provider, protocol: Protocol | None) -> HealthResult | None:
        if protocol is None:
            return None
        return self.controller.health.latest.get(endpoint_key(provider.name, protocol))

    def health_words(self, provider: Provider, protocol: Protocol | None) -> tuple[int, str]:
        """(rank: 0 works, 1 not checked, 2 fails; words) for a provider reached over `protocol`."""
        result = self._result(provider, protocol)
        if result is None:
            return 1, "Not checked"
        words = status_label(result.status)
        if result.healthy:
            latency = latency_words(result.latency_ms)
            return 0, f"{words}, {latency}" if latency else words
        return 2, words

    def listed_models(self, provider: Provider) -> list[str]:
        """Configured models first, then every model its endpoints listed at the last check."""
        listed = [m for r in self.controller.health.latest.values() if r.provider == provider.name for m in r.models]
        return list(dict.fromkeys([*provider.models, *listed]))

    # ------------------------------------------------------------ the menu

    def fill(self, menu: QMenu) -> None:
        controller = self.controller
        board = controller.status
        states = {s.tool: s for s in board.states()}
        providers = controller.state.store.providers
        head = menu.addAction(summary(states.values()) if providers else "No providers yet — open Switchover")
        head.setEnabled(False)
        for decision in board.pending():
            self._add_suggestion(menu, decision)
        menu.addSeparator()
        rows = [r for r in controller.tools.rows if r.installed and r.tool in states]
        if not rows:
            none = menu.addAction("No coding tools found")
            none.setEnabled(False)
            return
        for row in rows:
            state = states.get(row.tool)
            served = f" (last request: {row.last_served})" if row.via_gateway and row.last_served else ""
            sub = menu.addMenu((state.line if state is not None else f"{row.label} — {row.describe()}") + served)
            sub.setToolTipsVisible(True)
            self._fill_tool(sub, row, state)
        everyone = menu.addMenu("Switch all tools to…")
        everyone.setToolTipsVisible(True)
        protocols = tuple(dict.fromkeys(p for r in rows for p in r.protocols))
        self._fill_providers(everyone, None, protocols, "every tool", None)
        everyone.setEnabled(any(a.isEnabled() for a in everyone.actions()))

    def _add_suggestion(self, menu: QMenu, decision: object) -> None:
        from switchover.ui.status_board import describe_suggestion

        sub = menu.addMenu("Suggested: " + self._suggestion_text(decision))
        why = sub.addAction(describe_suggestion(decision))
        why.setEnabled(False)
        reason = sub.addAction(getattr(decision, "message", ""))
        reason.setEnabled(False)
        sub.addSeparator()
        accept = sub.addAction("Switch now")
        accept.triggered.connect(lambda _c=False, d=decision: self.controller.accept_suggestion(d))
        dismiss = sub.addAction("Dismiss")
        dismiss.triggered.connect(lambda _c=False, d=decision: self.controller.status.dismiss(getattr(d, "tool", "")))

    def _suggestion_text(self, decision: object) -> str:
        target = getattr(decision, "to_choice", None)
        label = getattr(decision, "tool_label", "")
        if target is None:
            return label
        provider = self.controller.state.store.providers.get(target.provider)
        name = provider.display_name if provider is not None else target.provider
        return f"{label} → {name} · {target.model}" if target.model else f"{label} → {name}"

    def _fill_tool(self, sub: QMenu, row: ToolRow, state: ToolState | None) -> None:
        if state is not None:
            now = sub.addAction(f"Now: {state.uses or 'nothing set up'} — {state.why}")
            now.setEnabled(False)
            if state.needs_attention and state.detail:
                why = sub.addAction(state.detail)  # shortened with the rest of the menu (Tray.rebuild_menu)
                why.setToolTip(plain_tooltip(state.detail))
                why.setEnabled(False)
        for conflict in self.controller.status.conflicts_for(row.tool):
            warn = sub.addAction(f"⚠ {conflict.summary()}")
            warn.setToolTip(plain_tooltip(conflict.advice()))
            warn.triggered.connect(lambda _c=False: self.controller.open_window("tools"))
        sub.addSeparator()
        current = (row.provider.name, row.model) if row.provider is not None and row.model else None
        self._fill_providers(sub, row.tool, row.protocols, row.label, current)

    def _fill_providers(self, menu: QMenu, tool: str | None, protocols: Sequence[Protocol], who: str,
                        current: tuple[str, str] | None) -> None:
        providers = list(self.controller.state.store.providers.values())
        if not providers:
            empty = menu.addAction("No providers yet: add one in Switchover")
            empty.setEnabled(False)
            return
        usable: list[tuple[int, bool, Provider, Protocol, str]] = []
        unusable: list[tuple[Provider, str]] = []
        for provider in providers:
            protocol = pick_protocol(provider, protocols)
            if protocol is None:
                offered = ", ".join(PROTOCOL_WORDS.get(p, p.value) for p in provider.protocols) or "nothing"
                unusable.append((provider, f"{who} needs {needs_words(protocols)}; it offers {offered}"))
                continue
            if not self.listed_models(provider):
                unusable.append((provider, "no model configured — add one on the Providers page"))
                continue
            rank, words = self.health_words(provider, protocol)
            is_current = current is not None and current[0] == provider.name
            usable.append((rank, not is_current, provider, protocol, words))
        for rank, _not_current, provider, _protocol, words in sorted(usable, key=lambda u: (u[0], u[1])):
            psub = menu.addMenu(f"{provider.display_name} · {words}")
            psub.setToolTipsVisible(True)
            if rank == 2:
                psub.setToolTip("Its last check failed; switching there is allowed, but it may not answer.")
            self._fill_models(psub, provider, tool, current)
        if unusable:
            menu.addSeparator()
        for provider, reason in unusable:
            action = menu.addAction(f"{provider.display_name} — {reason}")
            action.setEnabled(False)

    def _fill_models(self, menu: QMenu, provider: Provider, tool: str | None,
                     current: tuple[str, str] | None) -> None:
        models = list(provider.models)
        current_model = current[1] if current is not None and current[0] == provider.name else None
        shown = list(dict.fromkeys([*([current_model] if current_model else []), *models[:SUGGESTED_MODELS]]))
        if not shown:
            shown = self.listed_models(provider)[:SUGGESTED_MODELS]
        for model in shown:
            action = QAction(model, menu)
            action.setCheckable(True)
            action.setChecked(model == current_model)
            action.setEnabled(model != current_model)
            action.triggered.connect(self._handler(provider.name, model, tool))
            menu.addAction(action)
        if len(self.listed_models(provider)) > len(shown):
            menu.addSeparator()
            other = menu.addAction("Other models…")
            other.triggered.connect(lambda _c=False: self.pick_model(provider, tool, current_model))

    def pick_model(self, provider: Provider, tool: str | None, current: str | None) -> object:
        """The search dialog over every model the provider lists; picking one switches."""
        from switchover.ui.model_picker import ModelPicker

        picker = ModelPicker(f"{provider.display_name}: other models", self.listed_models(provider), current)
        self.pickers.append(picker)
        picker.accepted.connect(lambda: self._picked(provider, tool, picker.chosen()))
        picker.finished.connect(lambda _r: self.pickers.remove(picker) if picker in self.pickers else None)
        picker.finished.connect(picker.deleteLater)
        picker.open()
        return picker

    def _picked(self, provider: Provider, tool: str | None, model: str | None) -> None:
        if model:
            self.controller.switch(provider.name, model, [tool] if tool else None)

    def _handler(self, provider: str, model: str, tool: str | None) -> Callable[..., None]:
        def chosen(*_checked: object) -> None:
            self.controller.switch(provider, model, [tool] if tool else None)

        return chosen


__all__ = ["ToolMenus", "needs_words"]
