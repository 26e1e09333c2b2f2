"""Getting messages out despite Telegram's flood control.

A 429 answer carries `retry_after`: the request was not carried out, so waiting and
sending it again delivers it exactly once. aiogram leaves this to the caller; this
session middleware does it for every call the bot makes, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

RETRY_ATTEMPTS: Final = 3
#: a longer flood wait is not worth holding a trainee's turn for; the error path answers
MAX_RETRY_WAIT_S: Final = 30.0

Sleep = Callable[[float], Awaitable[None]]


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Wait `retry_after` seconds and resend, up to `attempts` sends in all."""

    def __init__(
        self,
        attempts: int = RETRY_ATTEMPTS,
        max_wait_s: float = MAX_RETRY_WAIT_S,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.attempts or exc.retry_after > self.max_wait_s:
                    raise
                log.warning(
                    "Telegram flood control on %s: retrying in %s s (attempt %d of %d)",
                    type(method).__name__,
                    exc.retry_after,
                    attempt + 1,
                    self.attempts,
                )
                await self.sleep(exc.retry_after)
                attempt += 1
