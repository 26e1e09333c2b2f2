"""The learning modules in one place for `bot.telegram.app`: the private and group routers."""

from __future__ import annotations

from aiogram import Router

from bot.telegram.routers import drills, group_drills, learn, progress, prompts


def private_router() -> Router:
    """Before the start router (it takes over /learn and "My progress") and the practice
    router (a waiting prompt takes the next text message)."""
    router = Router(name="learning-private")
    router.include_routers(
        learn.create_router(),
        drills.create_router(),
        prompts.create_router(),
        progress.create_router(),
    )
    return router


def group_router() -> Router:
    return group_drills.create_router()
