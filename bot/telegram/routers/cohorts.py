"""Trainers and groups in one place for `bot.telegram.app`: the private and group routers."""

from __future__ import annotations

from aiogram import Router

from bot.telegram.routers import authoring, group_review, membership, sharing, trainer


def private_router() -> Router:
    """Before the start router (invite links are /start payloads) and the media router."""
    router = Router(name="cohorts-private")
    router.include_routers(
        membership.create_router(),
        trainer.create_router(),
        authoring.create_router(),
        sharing.create_router(),
        trainer.create_refusals(),
    )
    return router


def group_router() -> Router:
    return group_review.create_router()
