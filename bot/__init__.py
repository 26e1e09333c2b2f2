"""Rupture Coach: practise repairing alliance ruptures with a simulated patient."""

__version__ = "0.1.0"
