"""Errors the wiring raises, importable without pulling in the adapters."""


class ConfigurationError(Exception):
    """A setting that cannot work; the message says which and what to do."""
