"""Group review in a Telegram group linked to a cohort: /link, /unlink, /review, the polls.

Only the cohort's trainer leads (links the group, picks the transcript and the votes,
taps Continue); everyone in the group reads and votes. Polls are anonymous, so
nothing about the voters is stored, only the counts.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatType, PollType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, Poll

from bot.cohort_wiring import Cohorts
from bot.cohorts.records import ReviewPollRecord, ReviewRecord
from bot.cohorts.review import MARKER_POLL, PollOutcome, ReviewChunk, replies_of
from bot.cohorts.service import CohortError
from bot.domain.feedback import SessionFeedback
from bot.practice.records import SessionRecord, UserRecord
from bot.practice.service import PracticeService
from bot.telegram import cohort_views as views
from bot.telegram.cohort_callbacks import ReviewGoCb, ReviewPickCb, ReviewStopCb
from bot.telegram.filters import on_loop
from bot.telegram.formatting import esc, fill, snippet
from bot.telegram.identity import find_trainee
from bot.telegram.texts import UiTexts

GROUPS = {ChatType.GROUP, ChatType.SUPERGROUP}
POLL_QUESTION_CHARS = 300
EXPLANATION_CHARS = 200


async def _leader(practice: PracticeService, telegram_id: int) -> UserRecord:
    """The (consented) user behind a group member; trainers have agreed in a private chat."""
    user = await find_trainee(practice.store, telegram_id)
    if user is None:
        raise CohortError("forbidden", "Only the cohort's trainer leads reviews here.")
    return user


def _stops_keyboard(
    texts: UiTexts, review: ReviewRecord, session: SessionRecord
) -> InlineKeyboardMarkup:
    t = texts.cohorts
    rows = []
    for number, turn in enumerate(replies_of(session), start=1):
        mark = t.buttons.stop_on if number in review.poll_turns else t.buttons.stop_off
        rows.append(
            [
                views.button(
                    t.stop_label.format(mark=mark, turn=number, snippet=snippet(turn.text)),
                    ReviewStopCb(review=review.id, turn=number),
                )
            ]
        )
    rows.append([views.button(t.buttons.start_review, ReviewGoCb(review=review.id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _summary(
    texts: UiTexts, cohorts: Cohorts, chunk: ReviewChunk, outcomes: list[PollOutcome]
) -> str:
    t = texts.cohorts
    persona, session = chunk.persona, chunk.transcript.session
    lines = [fill(t.summary_title, title=persona.title)]
    if not outcomes:
        lines.append(t.summary_none)
    for outcome in outcomes:
        poll = outcome.poll
        votes = sum(poll.counts)
        if poll.kind == MARKER_POLL and poll.correct_option is not None:
            right = poll.option_ids[poll.correct_option]
            lines.append(
                fill(
                    t.summary_marker,
                    turn=poll.turn,
                    right=cohorts.label(right),
                    correct=poll.counts[poll.correct_option] if poll.counts else 0,
                    votes=votes,
                )
            )
        else:
            chosen = cohorts.label(outcome.chosen) if outcome.chosen else t.summary_no_votes
            did = ", ".join(
                cohorts.label(m) for m in outcome.trainee_moves + outcome.trainee_pitfalls
            )
            lines.append(
                fill(
                    t.summary_repair,
                    turn=poll.turn,
                    chosen=chosen,
                    label=chunk.transcript.label,
                    did=did or "–",
                    suggested=cohorts.label(outcome.suggested or ""),
                )
            )
    if session.feedback is not None:
        feedback = SessionFeedback.model_validate(session.feedback)
        lines.append(
            fill(
                t.summary_outcome,
                rating=feedback.resolution_rating,
                resolution=feedback.resolution_label,
            )
        )
    return "\n".join(lines)


async def _post_chunk(
    bot: Bot, chat_id: int, cohorts: Cohorts, texts: UiTexts, chunk: ReviewChunk
) -> None:
    t = texts.cohorts
    persona, shared = chunk.persona, chunk.transcript
    posted: list[int] = []

    async def say(text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        message = await bot.send_message(chat_id, text, reply_markup=markup)
        posted.append(message.message_id)

    if chunk.started:
        await say(
            fill(
                t.review_header,
                title=persona.title,
                label=shared.label,
                date=views.date_label(texts, shared.session.started_at),
                situation=persona.situation,
            )
        )
    for item in chunk.items:
        await say(views.review_item_html(texts, item, persona, shared.label, cohorts))
    for spec in chunk.polls:
        template = t.poll_marker if spec.kind == MARKER_POLL else t.poll_repair
        question = template.format(turn=spec.turn)[:POLL_QUESTION_CHARS]
        options = [esc(cohorts.label(o)) for o in spec.option_ids]
        if spec.correct_option is not None:
            explanation = t.poll_explanation.format(
                marker=esc(cohorts.label(spec.option_ids[spec.correct_option]))
            )[:EXPLANATION_CHARS]
            message = await bot.send_poll(
                chat_id,
                question=esc(question),
                options=list(options),
                type=PollType.QUIZ,
                correct_option_ids=[spec.correct_option],
                explanation=explanation,
                is_anonymous=True,
            )
        else:
            message = await bot.send_poll(
                chat_id,
                question=esc(question),
                options=list(options),
                type=PollType.REGULAR,
                is_anonymous=True,
            )
        posted.append(message.message_id)
        if message.poll is not None:
            await cohorts.reviews.record_poll(
                chunk.review.id,
                ReviewPollRecord(
                    poll_id=message.poll.id,
                    message_id=message.message_id,
                    turn=spec.turn,
                    kind=spec.kind,
                    option_ids=spec.option_ids,
                    correct_option=spec.correct_option,
                ),
            )
    if chunk.polls:
        await say(
            fill(t.review_pause, label=shared.label),
            InlineKeyboardMarkup(
                inline_keyboard=[[views.button(t.buttons.next, ReviewGoCb(review=chunk.review.id))]]
            ),
        )
    await cohorts.reviews.record_posts(chunk.review.id, posted)
    if chunk.finished:
        review = await cohorts.reviews.store.get_review(chunk.review.id)
        assert review is not None
        for poll in review.polls:
            with suppress(TelegramAPIError):  # already closed
                stopped = await bot.stop_poll(chat_id, poll.message_id)
                await cohorts.reviews.poll_counts(
                    poll.poll_id, [o.voter_count for o in stopped.options], True
                )
        outcomes = await cohorts.reviews.outcomes(chunk.review.id, shared.session, persona)
        await bot.send_message(chat_id, _summary(texts, cohorts, chunk, outcomes))


def create_router() -> Router:
    router = Router(name="group-review")
    router.message.filter(on_loop(F.chat.type.in_(GROUPS)))
    router.callback_query.filter(on_loop(F.message.chat.type.in_(GROUPS)))

    @router.message(Command("link"))
    async def link(
        message: Message,
        command: CommandObject,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
    ) -> None:
        if not command.args:
            await message.answer(texts.cohorts.group_link_usage)
            return
        if message.from_user is None:
            return
        trainer = await _leader(practice, message.from_user.id)
        cohort = await cohorts.reviews.link(
            trainer, command.args, message.chat.id, message.chat.title or ""
        )
        await message.answer(fill(texts.cohorts.group_linked, name=cohort.name))

    @router.message(Command("unlink"))
    async def unlink(
        message: Message, practice: PracticeService, cohorts: Cohorts, texts: UiTexts
    ) -> None:
        if message.from_user is None:
            return
        trainer = await _leader(practice, message.from_user.id)
        cohort = await cohorts.reviews.unlink(trainer, message.chat.id)
        await message.answer(fill(texts.cohorts.group_unlinked, name=cohort.name))

    @router.message(Command("review"))
    async def review(
        message: Message, practice: PracticeService, cohorts: Cohorts, texts: UiTexts
    ) -> None:
        if message.from_user is None:
            return
        trainer = await _leader(practice, message.from_user.id)
        cohort = await cohorts.reviews.trained_cohort(trainer, message.chat.id)
        found = await cohorts.reviews.candidates(trainer, message.chat.id)
        if not found:
            await message.answer(fill(texts.cohorts.review_none, name=cohort.name))
            return
        rows = []
        for share_id, session, label in found:
            persona = cohorts.find_persona(session.persona_id)
            title = persona.title if persona else session.persona_id
            rows.append(
                [
                    views.button(
                        texts.cohorts.share_button.format(
                            label=label,
                            title=snippet(title, 30),
                            date=views.date_label(texts, session.started_at),
                        ),
                        ReviewPickCb(share=share_id),
                    )
                ]
            )
        await message.answer(
            fill(texts.cohorts.review_choose, name=cohort.name),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )

    @router.callback_query(ReviewPickCb.filter())
    async def pick(
        callback: CallbackQuery,
        callback_data: ReviewPickCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
    ) -> None:
        if callback.message is None:
            return
        trainer = await _leader(practice, callback.from_user.id)
        record = await cohorts.reviews.setup(trainer, callback.message.chat.id, callback_data.share)
        review_, session = await cohorts.reviews.review(trainer, record.id)
        persona = cohorts.find_persona(session.persona_id)
        candidates = await cohorts.reviews.candidates(trainer, callback.message.chat.id)
        label = next((lbl for sid, _, lbl in candidates if sid == callback_data.share), "")
        await callback.answer()
        await bot.send_message(
            callback.message.chat.id,
            fill(
                texts.cohorts.review_stops,
                title=persona.title if persona else session.persona_id,
                label=label,
            ),
            reply_markup=_stops_keyboard(texts, review_, session),
        )

    @router.callback_query(ReviewStopCb.filter())
    async def toggle(
        callback: CallbackQuery,
        callback_data: ReviewStopCb,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
    ) -> None:
        trainer = await _leader(practice, callback.from_user.id)
        await cohorts.reviews.toggle_stop(trainer, callback_data.review, callback_data.turn)
        review_, session = await cohorts.reviews.review(trainer, callback_data.review)
        await callback.answer()
        if isinstance(callback.message, Message):
            with suppress(TelegramAPIError):
                await callback.message.edit_reply_markup(
                    reply_markup=_stops_keyboard(texts, review_, session)
                )

    @router.callback_query(ReviewGoCb.filter())
    async def go(
        callback: CallbackQuery,
        callback_data: ReviewGoCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
    ) -> None:
        if callback.message is None:
            return
        trainer = await _leader(practice, callback.from_user.id)
        chunk = await cohorts.reviews.advance(trainer, callback_data.review)
        await callback.answer()
        if isinstance(callback.message, Message):
            with suppress(TelegramAPIError):
                await callback.message.edit_reply_markup(reply_markup=None)
        await _post_chunk(bot, callback.message.chat.id, cohorts, texts, chunk)

    @router.poll()
    async def poll_update(poll: Poll, cohorts: Cohorts) -> None:
        counts = [o.voter_count for o in poll.options]
        if not await cohorts.reviews.poll_counts(poll.id, counts, poll.is_closed):
            raise SkipHandler  # someone else's poll (a learning quiz, say)

    return router
