"""The Telegram door: the only package that imports aiogram.

Handlers translate between Telegram and `PracticeService`; no practice logic lives here.
"""
