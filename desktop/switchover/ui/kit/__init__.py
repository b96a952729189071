"""The app's small widget kit: one palette of semantic colours (`palette`), one credential editor
(`credentials`) used by the provider dialog and the wizard, and one typed table model (`table`)."""
