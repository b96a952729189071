"""Shows exactly what a switch would change (a unified diff, keys redacted) before anything is written.

When a tool ranks something above the config Switchover edits (an agent's own model, a provider allowlist, a
model picked in its menu), the switch would not take effect: the dialog says so, and where Switchover can
change that too, a checkbox asks whether to (the diff then shows those changes; undo takes them back).
Provider variables set outside the tools' configs (the environment, shell start-up files: `services.conflicts`)
are listed too, with the file and line: the ones that win over the switch as warnings, the rest as notes.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from switchover.core.switching import SwitchResult
from switchover.services.conflicts import Conflict
from switchover.ui.kit.palette import Tone, tint
from switchover.ui.safe_text import escape, show_html, show_plain


class SwitchPreviewDialog(QDialog):
    """Signals:
    include_overrides_changed(bool): the user ticked/unticked "also change …"; the owner re-plans the preview
        with `include_overrides` and calls `show_preview` with the result.
    """

    include_overrides_changed = Signal(bool)

    def __init__(self, preview: SwitchResult, provider_label: str, parent: QWidget | None = None,
                 conflicts: Sequence[Conflict] = ()) -> None:
        super().__init__(parent)
        self.provider_label = provider_label
        self.conflicts = list(conflicts)
        self.setWindowTitle("Review the switch")
        self.resize(760, 520)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        tint(self.warnings, Tone.WARN)
        self.overrides_box = QCheckBox()
        self.overrides_box.toggled.connect(self._toggled)
        self.overrides = QLabel()
        self.overrides.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.overrides_box)
        layout.addWidget(self.overrides)
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.show_preview(preview)

    @property
    def include_overrides(self) -> bool:
        """Apply with the changes outside Switchover's own keys too (the box is ticked)."""
        return self.overrides_box.isChecked()

    def show_preview(self, preview: SwitchResult) -> None:
        """(Re)fill the dialog from a dry run; called again when the checkbox re-planned it."""
        self.preview = preview
        tools = [o.label for o in preview.outcomes if o.status == "planned" and o.files]
        unchanged = [o.label for o in preview.outcomes if o.status == "planned" and not o.files]
        refused = [f"{o.label}: {o.message}" for o in preview.outcomes if o.status in ("refused", "error")]
        summary = (f"Point <b>{escape(', '.join(tools) or 'no tool')}</b> at <b>{escape(self.provider_label)}</b> · "
                   f"<b>{escape(preview.model)}</b>.")
        if unchanged:
            summary += f"<br>Already there: {escape(', '.join(unchanged))}."
        show_html(self.summary, summary)
        planned = {o.tool for o in preview.outcomes if o.status == "planned"}
        conflicts = [c for c in self.conflicts if c.tool in planned]
        # A variable the tool reads from the environment is named by its conflict line, with where it is set.
        named = {(c.tool, c.var) for c in conflicts}
        blocked = [f"{o.label}: will not take effect: {x.describe()}" for o in preview.outcomes for x in o.overrides
                   if not x.fix and not (x.path is None and (o.tool, x.key) in named)]
        overriding = [f"{c.label}: will not take effect: {c.advice()}" for c in conflicts if c.overrides]
        warnings = [w for o in preview.outcomes for w in o.warnings] + blocked + overriding + refused
        show_plain(self.warnings, "\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))
        fixable = [(o.label, x) for o in preview.outcomes for x in o.fixable]
        fixed = [(o.label, x) for o in preview.outcomes for x in o.fixed]
        offered = fixable or fixed
        self.overrides_box.blockSignals(True)
        self.overrides_box.setChecked(bool(fixed))
        self.overrides_box.blockSignals(False)
        self.overrides_box.setText("Also change what would keep the switch from taking effect (undone with it):")
        self.overrides_box.setVisible(bool(offered))
        show_plain(self.overrides, "\n".join(f"• {label}: {x.describe()} — {x.fix}" for label, x in offered))
        self.overrides.setVisible(bool(offered))
        notes = [n for o in preview.outcomes for n in o.notes]
        notes += [f"{c.label}: {c.advice()}" for c in conflicts if not c.overrides]
        show_plain(self.notes, "\n".join(notes))
        self.notes.setVisible(bool(notes))
        self.diff.setPlainText(preview.diff or "No file changes.")
        self.apply_button.setEnabled(bool(tools))

    def _toggled(self, checked: bool) -> None:
        self.apply_button.setEnabled(False)  # until the re-planned preview is shown
        self.include_overrides_changed.emit(checked)
