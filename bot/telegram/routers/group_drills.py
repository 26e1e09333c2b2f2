"""Drills in a group chat as native quiz polls: /drill [module] posts the exchange and a
quiz ("What did you notice?"), then the finer question as a second quiz.

The first quiz is not anonymous, so each vote arrives as a `poll_answer` update; it is
recorded as that trainee's drill answer only if they have agreed to storage in a
private chat; a vote in the second quiz completes that answer (as the finer question
does in a private drill). The poll-to-drill mapping is kept in the database, so votes
cast after a restart (or on another replica) still count.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.enums import ChatType, PollType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, PollAnswer

from bot.learning import LearningError, LearningService
from bot.learning.models import QuizPoll
from bot.learning.quiz_polls import PostedQuiz, QuizPollStore, next_group_drill
from bot.practice.service import PracticeService
from bot.telegram.filters import on_loop
from bot.telegram.formatting import esc, fill
from bot.telegram.identity import find_trainee
from bot.telegram.learn_views import exchange_html
from bot.telegram.routers.drills import drill_in_module, find_module
from bot.telegram.texts import UiTexts

log = logging.getLogger(__name__)

GROUPS = {ChatType.GROUP, ChatType.SUPERGROUP}


async def post_quiz(
    bot: Bot,
    chat_id: int,
    learning: LearningService,
    quiz_polls: QuizPollStore,
    texts: UiTexts,
    drill_id: str,
) -> None:
    module, drill = drill_in_module(learning, drill_id)
    await bot.send_message(
        chat_id,
        texts.learning.group_drill.format(
            module=esc(module.title), exchange=exchange_html(texts, drill)
        ),
    )
    await _send_quiz(bot, chat_id, quiz_polls, drill.id, learning.quiz_poll(drill.id))
    if drill.detail is not None:
        detail = learning.quiz_poll(drill.id, "detail")
        await _send_quiz(bot, chat_id, quiz_polls, drill.id, detail)


async def _send_quiz(
    bot: Bot, chat_id: int, quiz_polls: QuizPollStore, drill_id: str, poll: QuizPoll
) -> None:
    """Post one non-anonymous quiz poll and remember which drill and options it shows."""
    sent = await bot.send_poll(
        chat_id,
        question=esc(poll.question),
        options=list(poll.options),
        type=PollType.QUIZ,
        is_anonymous=False,
        correct_option_ids=[poll.correct_option_id],
        explanation=esc(poll.explanation),
    )
    if sent.poll is not None:
        await quiz_polls.remember_quiz(
            PostedQuiz(
                poll_id=sent.poll.id,
                chat_id=chat_id,
                message_id=sent.message_id,
                drill_id=drill_id,
                option_ids=poll.option_ids,
                created_at=datetime.now(UTC),
            )
        )


def create_router() -> Router:
    router = Router(name="group-drills")
    router.message.filter(on_loop(F.chat.type.in_(GROUPS)))

    @router.message(Command("drill"))
    async def drill_command(
        message: Message,
        command: CommandObject,
        bot: Bot,
        learning: LearningService,
        quiz_polls: QuizPollStore,
        texts: UiTexts,
    ) -> None:
        module = find_module(learning, command.args or "")
        if command.args and module is None:
            names = ", ".join(m.id.value for m in learning.modules())
            await message.answer(
                fill(texts.learning.group_unknown_module, name=command.args, modules=names)
            )
            return
        chat_id = message.chat.id
        posted = await quiz_polls.posted_drills(chat_id)
        drill = next_group_drill(learning.catalog, module.id if module else None, posted)
        if drill is None:
            await message.answer(texts.learning.group_no_drills)
            return
        await post_quiz(bot, chat_id, learning, quiz_polls, texts, drill.id)

    @router.message(Command("learn", "progress"))
    async def private_only(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.learning.group_private_only)

    @router.poll_answer()
    async def vote(
        poll_answer: PollAnswer,
        learning: LearningService,
        practice: PracticeService,
        quiz_polls: QuizPollStore,
    ) -> None:
        if poll_answer.user is None or not poll_answer.option_ids:
            return  # a vote on behalf of a chat, or a retracted vote
        quiz = await quiz_polls.find_quiz(poll_answer.poll_id)
        if quiz is None:
            return  # a poll this feature did not send
        choice = poll_answer.option_ids[0]
        if not 0 <= choice < len(quiz.option_ids):
            return
        trainee = await find_trainee(practice.store, poll_answer.user.id)
        if trainee is None:
            return  # no consent, nothing stored
        option = quiz.option_ids[choice]
        try:
            if learning.is_noticed_option(option):
                await learning.answer_drill(trainee.id, quiz.drill_id, option)
            elif not await learning.answer_drill_detail(trainee.id, quiz.drill_id, option):
                log.info("finer quiz answer not recorded: no first answer to complete")
        except LearningError as exc:
            log.info("quiz answer not recorded: %s", exc.code)

    return router
