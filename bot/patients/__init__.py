"""Simulated-patient engines that need no outside system."""
