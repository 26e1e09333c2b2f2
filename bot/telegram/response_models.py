"""Keep aiogram's response models alive between Bot API calls.

aiogram parses every answer with ``Response[method.__returning__]``, a pydantic generic
class built on first use. pydantic caches such classes by weak reference only, so the
next garbage collection frees them and the next call builds the class again: 10-20 ms
of schema building for ``Response[Message]``, on nearly every turn of a busy bot (the
benchmark's profile showed it as the largest single cost of a turn). Holding one
reference per return type makes each class a one-off cost per process.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

#: return type -> its parsed-response class, for the life of the process
_PINNED: dict[Any, type[Any]] = {}


def pin_response_model(returning: Any) -> type[Any]:
    """The response class for `returning`, built once and kept."""
    model = _PINNED.get(returning)
    if model is None:
        model = _PINNED[returning] = Response[returning]
    return model


class PinResponseModels(BaseRequestMiddleware):
    """Session middleware: pins the response class of each method before it is called."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        pin_response_model(method.__returning__)
        return await make_request(bot, method)
