"""The tray menu's tool sections: each tool's current choice and its healthy alternatives, one click away."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from switchover.ui.health_format import latency_text

if TYPE_CHECKING:
    from switchover.ui.app import AppController


class ToolMenus:
    def __init__(self, controller: AppController) -> None:
        self.controller = controller

    def _status(self, key: str) -> tuple[bool | None, str]:
        result = self.controller.health.latest.get(key)
        if result is None:
            return None, "not checked"
        return result.healthy, f"{result.status.value}, {latency_text(result.latency_ms)}"

    def fill(self, menu: QMenu) -> None:
        tools = self.controller.tools
        rows = [r for r in tools.rows if r.installed]
        if not rows:
            none = menu.addAction("No coding tools found")
            none.setEnabled(False)
            return
        all_choices: dict[tuple[str, str], str] = {}
        for row in rows:
            sub = menu.addMenu(f"{row.label}: {row.describe()}")
            for provider, model, key in tools.choices_for(row):
                healthy, status = self._status(key)
                current = row.provider is not None and row.provider.name == provider.name and row.model == model
                if not current and healthy is not True:
                    continue  # offer only alternatives known to work
                all_choices[(provider.name, model)] = status
                action = QAction(f"{provider.display_name} · {model}  ({status})", sub)
                action.setCheckable(True)
                action.setChecked(current)
                action.setEnabled(not current)
                action.triggered.connect(self._handler(provider.name, model, row.tool))
                sub.addAction(action)
            if sub.isEmpty():
                empty = sub.addAction("No healthy alternative (run Check now)")
                empty.setEnabled(False)
        everyone = menu.addMenu("Switch all tools to…")
        for (name, model), status in all_choices.items():
            provider = self.controller.state.store.providers[name]
            action = QAction(f"{provider.display_name} · {model}  ({status})", everyone)
            action.triggered.connect(self._handler(name, model, None))
            everyone.addAction(action)
        everyone.setEnabled(bool(all_choices))

    def _handler(self, provider: str, model: str, tool: str | None) -> Callable[..., None]:
        def chosen(*_checked: object) -> None:
            self.controller.switch(provider, model, [tool] if tool else None)

        return chosen
