"""The real-CLI corpus test uses the e2e fixtures: a project folder in the isolated home and a stand-in."""

from tests.e2e.conftest import standin_a, workdir

__all__ = ["standin_a", "workdir"]
