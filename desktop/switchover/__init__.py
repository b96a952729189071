"""Switchover: keep every coding tool pointed at a model provider that works."""

__version__ = "0.1.0"
APP_NAME = "Switchover"
APP_ID = "io.github.switchover.Switchover"
