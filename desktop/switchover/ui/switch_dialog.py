"""Shows exactly what a switch would change (a unified diff, keys redacted) before anything is written."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from switchover.core.switching import SwitchResult
from switchover.ui.kit.palette import Tone, tint
from switchover.ui.safe_text import escape, show_html, show_plain


class SwitchPreviewDialog(QDialog):
    def __init__(self, preview: SwitchResult, provider_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle("Review the switch")
        self.resize(760, 520)
        tools = [o.label for o in preview.outcomes if o.status == "planned" and o.files]
        unchanged = [o.label for o in preview.outcomes if o.status == "planned" and not o.files]
        refused = [f"{o.label}: {o.message}" for o in preview.outcomes if o.status in ("refused", "error")]
        summary = (f"Point <b>{escape(', '.join(tools) or 'no tool')}</b> at <b>{escape(provider_label)}</b> · "
                   f"<b>{escape(preview.model)}</b>.")
        if unchanged:
            summary += f"<br>Already there: {escape(', '.join(unchanged))}."
        self.summary = QLabel()
        show_html(self.summary, summary)
        self.summary.setWordWrap(True)
        warnings = [w for o in preview.outcomes for w in o.warnings] + refused
        notes = [n for o in preview.outcomes for n in o.notes]
        self.warnings = QLabel()
        show_plain(self.warnings, "\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setWordWrap(True)
        tint(self.warnings, Tone.WARN)
        self.warnings.setVisible(bool(warnings))
        self.notes = QLabel()
        show_plain(self.notes, "\n".join(notes))
        self.notes.setWordWrap(True)
        self.notes.setVisible(bool(notes))
        self.diff = QPlainTextEdit(preview.diff or "No file changes.")
        self.diff.setReadOnly(True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setEnabled(bool(tools))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
