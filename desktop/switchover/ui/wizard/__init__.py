"""The first-run setup wizard (issue 7). The app calls `open_setup_wizard`; `needs_setup(store)` says when."""

from switchover.ui.wizard.draft import SetupDraft, needs_setup
from switchover.ui.wizard.services import WizardServices
from switchover.ui.wizard.wizard import SetupWizard, open_setup_wizard

__all__ = ["SetupDraft", "SetupWizard", "WizardServices", "needs_setup", "open_setup_wizard"]
