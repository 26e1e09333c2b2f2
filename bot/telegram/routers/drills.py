"""Recognition drills in a private chat: the exchange, "What did you notice?", the finer
question, then the verdict with the explanation. Scored by the curriculum service."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.learning import Drill, LearningError, LearningService, Module
from bot.practice.records import UserRecord
from bot.telegram.formatting import fill
from bot.telegram.learn_callbacks import DetailCb, DrillsCb, NoticedCb, OpenDrillCb
from bot.telegram.learn_state import OpenDrill, close_prompt, open_drill, set_open_drill
from bot.telegram.learn_views import detail_screen, drill_screen, verdict_screen
from bot.telegram.presenters import show
from bot.telegram.texts import UiTexts


def drill_in_module(learning: LearningService, drill_id: str) -> tuple[Module, Drill]:
    found = learning.catalog.drill(drill_id)
    if found is None:
        raise LearningError("unknown_drill", "That drill is no longer in the course.")
    return found


def find_module(learning: LearningService, name: str) -> Module | None:
    """A module by id or by the start of its title ("conf", "Withdrawal"…)."""
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return None
    for module in learning.modules():
        if module.id.value == wanted or module.title.casefold().startswith(wanted):
            return module
    return None


def _after(items: Sequence[Drill], after: str) -> Drill:
    ids = [item.id for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    return items[start % len(items)]


async def send_drill(
    bot: Bot,
    chat_id: int,
    state: FSMContext,
    learning: LearningService,
    texts: UiTexts,
    drill_id: str,
    note: str = "",
) -> None:
    """A new drill message. The previous open drill loses its buttons; a waiting prompt is
    put aside, so the next text message is not taken as its answer by surprise."""
    module, drill = drill_in_module(learning, drill_id)
    previous = await open_drill(state)
    text, markup = drill_screen(texts, learning, module, drill, note)
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    await set_open_drill(state, OpenDrill(drill=drill.id, message=sent.message_id))
    await close_prompt(state)
    if previous is not None and previous.message != sent.message_id:
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=previous.message, reply_markup=None
            )


async def next_in_module(
    bot: Bot,
    chat_id: int,
    state: FSMContext,
    learning: LearningService,
    texts: UiTexts,
    trainee: UserRecord,
    module: Module,
    after: str = "",
) -> None:
    """The module's next drill; once every drill is answered right, round again."""
    drill = await learning.next_drill(trainee.id, module.id)
    note = ""
    if drill is None:
        drill = _after(module.drills, after)
        note = fill(texts.learning.all_drills_right, title=module.title)
    await send_drill(bot, chat_id, state, learning, texts, drill.id, note)


async def _current(
    callback: CallbackQuery, state: FSMContext, drill_id: str, stage: str
) -> OpenDrill | None:
    """The open drill if this tap belongs to it (not a stale or doubled tap)."""
    current = await open_drill(state)
    message = callback.message
    if current is None or message is None:
        return None
    if (current.drill, current.message, current.stage) != (drill_id, message.message_id, stage):
        return None
    return current


def create_router() -> Router:
    router = Router(name="drills")

    @router.message(Command("drill"))
    async def drill_command(
        message: Message,
        command: CommandObject,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        module = find_module(learning, command.args or "")
        if command.args and module is None:
            names = ", ".join(m.id.value for m in learning.modules())
            await message.answer(
                fill(texts.learning.group_unknown_module, name=command.args, modules=names)
            )
            return
        if module is None:
            resume = await learning.resume(trainee.id)
            module = learning.module(resume.module_id if resume else learning.modules()[0].id)
        await next_in_module(bot, message.chat.id, state, learning, texts, trainee, module)

    @router.callback_query(DrillsCb.filter())
    async def next_drill(
        callback: CallbackQuery,
        callback_data: DrillsCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        module = learning.module(callback_data.module)
        await callback.answer()
        if callback.message is None:
            return
        await next_in_module(
            bot,
            callback.message.chat.id,
            state,
            learning,
            texts,
            trainee,
            module,
            callback_data.after,
        )

    @router.callback_query(OpenDrillCb.filter())
    async def open_one(
        callback: CallbackQuery,
        callback_data: OpenDrillCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        state: FSMContext,
    ) -> None:
        drill_in_module(learning, callback_data.drill)
        await callback.answer()
        if callback.message is not None:
            await send_drill(
                bot, callback.message.chat.id, state, learning, texts, callback_data.drill
            )

    @router.callback_query(NoticedCb.filter())
    async def noticed(
        callback: CallbackQuery,
        callback_data: NoticedCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        module, drill = drill_in_module(learning, callback_data.drill)
        current = await _current(callback, state, drill.id, "noticed")
        if current is None:
            await callback.answer(texts.learning.expired, show_alert=True)
            return
        await callback.answer()
        if callback_data.noticed is drill.noticed and drill.detail is not None:
            await set_open_drill(state, current.model_copy(update={"stage": "detail"}))
            text, markup = detail_screen(texts, learning, module, drill)
            await show(bot, callback, text, markup)
            return
        result = await learning.answer_drill(trainee.id, drill.id, callback_data.noticed.value)
        await set_open_drill(state, None)
        text, markup = verdict_screen(texts, learning, module, drill, result)
        await show(bot, callback, text, markup)

    @router.callback_query(DetailCb.filter())
    async def detail(
        callback: CallbackQuery,
        callback_data: DetailCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        module, drill = drill_in_module(learning, callback_data.drill)
        if await _current(callback, state, drill.id, "detail") is None:
            await callback.answer(texts.learning.expired, show_alert=True)
            return
        await callback.answer()
        result = await learning.answer_drill(
            trainee.id, drill.id, drill.noticed.value, callback_data.option
        )
        await set_open_drill(state, None)
        text, markup = verdict_screen(texts, learning, module, drill, result)
        await show(bot, callback, text, markup)

    return router
