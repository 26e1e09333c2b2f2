"""Benchmarks: the bot's own cost next to aiogram's echo floor (`python -m benchmarks.bench`)."""
