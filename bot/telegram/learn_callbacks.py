"""Button payloads for the learning modules. Two-letter prefixes starting with "l".

Drill and prompt ids follow the curriculum's id pattern (at most 32 characters) and
detail options are canonical ids (at most 28), so the longest payload, a detail
answer, fits Telegram's 64 bytes. Every id is re-checked against the catalogue.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.learning.models import ID_PATTERN, ModuleId, Noticed

OPTION_PATTERN = r"^[a-z][a-z_]{0,31}$"
AFTER_PATTERN = r"^([a-z0-9][a-z0-9-]{1,31})?$"


class ModuleCb(CallbackData, prefix="lm"):
    module: ModuleId


class TheoryCb(CallbackData, prefix="lt"):
    module: ModuleId
    page: int = Field(ge=0, le=99)


class DrillsCb(CallbackData, prefix="ld"):
    """The next drill of a module; `after` is the drill just done (to go round once all are)."""

    module: ModuleId
    after: str = Field(default="", pattern=AFTER_PATTERN)


class OpenDrillCb(CallbackData, prefix="lo"):
    drill: str = Field(pattern=ID_PATTERN)


class NoticedCb(CallbackData, prefix="ln"):
    drill: str = Field(pattern=ID_PATTERN)
    noticed: Noticed


class DetailCb(CallbackData, prefix="lx"):
    drill: str = Field(pattern=ID_PATTERN)
    option: str = Field(pattern=OPTION_PATTERN)


class PromptsCb(CallbackData, prefix="lp"):
    module: ModuleId
    after: str = Field(default="", pattern=AFTER_PATTERN)


class OpenPromptCb(CallbackData, prefix="lq"):
    prompt: str = Field(pattern=ID_PATTERN)


class PromptAsideCb(CallbackData, prefix="la"):
    module: ModuleId
