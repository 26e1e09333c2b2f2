"""Sharing a finished session with a cohort, stopping it, the trainer opening it, exports.

A share is an explicit choice per session (👥 Share under the session in /history),
under a pseudonym unless the trainee picks "with my name", and stoppable at any
time in /shared. Exports are files: PDF (print-friendly) or HTML, pseudonymised
unless the owner asks for their name.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.cohort_wiring import Cohorts
from bot.cohorts.records import ShareVia
from bot.cohorts.review import conversation
from bot.cohorts.service import CohortError
from bot.exports import ExportFormat, build_document, render
from bot.practice.records import SessionRecord, UserRecord
from bot.practice.service import PracticeService
from bot.telegram import cohort_views as views
from bot.telegram.cohort_callbacks import ExportCb, OpenShareCb, RevokeCb, ShareCb
from bot.telegram.formatting import fill
from bot.telegram.presenters import drop_keyboard, send_long
from bot.telegram.texts import UiTexts

#: the label of the trainee in an export they did not ask to put their name on
OWN_PSEUDONYM = "Trainee"


def _title(cohorts: Cohorts, session: SessionRecord) -> str:
    persona = cohorts.find_persona(session.persona_id)
    return persona.title if persona else session.persona_id


async def _send_export(
    bot: Bot,
    chat_id: int,
    practice: PracticeService,
    cohorts: Cohorts,
    texts: UiTexts,
    session: SessionRecord,
    label: str,
    fmt: ExportFormat,
) -> None:
    persona = await practice.persona_of(session)
    rubric = practice.catalog.rubric_for(persona.language)
    document = await asyncio.to_thread(build_document, session, persona, rubric, label)
    content = await asyncio.to_thread(render, document, fmt)
    date = session.started_at.strftime("%Y-%m-%d")
    await bot.send_document(
        chat_id,
        BufferedInputFile(content, filename=f"session-{session.id}-{date}.{fmt.value}"),
        caption=fill(
            texts.cohorts.export_caption,
            title=persona.title,
            label=label,
            date=views.date_label(texts, session.started_at),
        ),
    )


async def _label_for_owner(cohorts: Cohorts, user: UserRecord, named: bool, name: str) -> str:
    """The owner's Telegram name if they asked for it, else their (first) pseudonym."""
    if named:
        return name or OWN_PSEUDONYM
    memberships = await cohorts.service.memberships(user)
    return memberships[0][1].pseudonym if memberships else OWN_PSEUDONYM


def create_router() -> Router:
    router = Router(name="sharing")

    @router.callback_query(ShareCb.filter())
    async def share(
        callback: CallbackQuery,
        callback_data: ShareCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        t, b = texts.cohorts, texts.cohorts.buttons
        session = await practice.owned_session(trainee.id, callback_data.session)
        memberships = await cohorts.service.memberships(trainee)
        if not memberships:
            await callback.answer(views.plain(t.no_cohort_to_share), show_alert=True)
            return
        if callback.message is None:
            await callback.answer()
            return
        chat_id = callback.message.chat.id
        await callback.answer()
        if callback_data.cohort == 0 and len(memberships) > 1:
            rows = [
                [views.button(cohort.name, ShareCb(session=session.id, cohort=cohort.id))]
                for cohort, _ in memberships
            ]
            await bot.send_message(
                chat_id, t.share_choose, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
            )
            return
        cohort_id = callback_data.cohort or memberships[0][0].id
        found = next((m for m in memberships if m[0].id == cohort_id), None)
        if found is None:
            raise CohortError("not_member", t.not_in_cohort)
        cohort, member = found
        if callback_data.confirm == 0:
            await bot.send_message(
                chat_id,
                fill(
                    t.share_confirm,
                    title=_title(cohorts, session),
                    date=views.date_label(texts, session.started_at),
                    name=cohort.name,
                    pseudonym=member.pseudonym,
                ),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            views.button(
                                b.share_as.format(pseudonym=member.pseudonym),
                                ShareCb(session=session.id, cohort=cohort.id, confirm=1),
                            )
                        ],
                        [
                            views.button(
                                b.share_named,
                                ShareCb(session=session.id, cohort=cohort.id, confirm=2),
                            )
                        ],
                    ]
                ),
            )
            return
        named = callback_data.confirm == 2
        record = await cohorts.sharing.share(trainee, session.id, cohort.id, named)
        await drop_keyboard(bot, callback)
        label = member.display_name if record.show_name else record.pseudonym
        await bot.send_message(chat_id, fill(t.shared_done, name=cohort.name, label=label))

    @router.message(Command("shared"))
    async def my_shares(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        t = texts.cohorts
        overview = await cohorts.sharing.my_shares(trainee)
        if not overview:
            await message.answer(t.shares_none)
            return
        lines = [t.shares_title]
        rows = []
        for item in overview:
            persona = cohorts.find_persona(item.persona_id)
            title = persona.title if persona else item.persona_id
            views_note = ""
            if item.views:
                last = item.views[-1].viewed_at.strftime(t.due_date_format)
                views_note = fill(t.share_views, count=len(item.views), last=last)
            label = item.share.pseudonym
            line = (
                fill(
                    t.share_line,
                    title=title,
                    date=views.date_label(texts, item.share.created_at),
                    name=item.cohort.name,
                    label=label,
                    views="",
                )
                + views_note
            )
            if not item.share.active:
                line += t.share_revoked_mark
            else:
                rows.append(
                    [
                        views.button(
                            f"{t.buttons.stop_sharing} · {title[:30]}",
                            RevokeCb(share=item.share.id),
                        )
                    ]
                )
            lines.append("• " + line)
        await message.answer(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )

    @router.callback_query(RevokeCb.filter())
    async def revoke(
        callback: CallbackQuery,
        callback_data: RevokeCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        share, reviews = await cohorts.sharing.revoke(trainee, callback_data.share)
        await callback.answer()
        session = await practice.owned_session(trainee.id, share.session_id)
        cohort = await cohorts.service.store.get_cohort(share.cohort_id)
        # The review posts of this transcript leave the groups too.
        for review in reviews:
            for message_id in review.message_ids:
                with suppress(TelegramAPIError):  # too old, or already deleted
                    await bot.delete_message(review.chat_id, message_id)
        if callback.message is not None:
            await drop_keyboard(bot, callback)
            await bot.send_message(
                callback.message.chat.id,
                fill(
                    texts.cohorts.revoked,
                    title=_title(cohorts, session),
                    name=cohort.name if cohort else "",
                ),
            )

    @router.callback_query(OpenShareCb.filter())
    async def open_share(
        callback: CallbackQuery,
        callback_data: OpenShareCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        shared = await cohorts.sharing.open(trainee, callback_data.share, ShareVia.PRIVATE)
        await callback.answer()
        if callback.message is None:
            return
        session = shared.session
        persona = await practice.persona_of(session)
        parts = [
            fill(
                texts.cohorts.shared_transcript,
                title=persona.title,
                label=shared.label,
                date=views.date_label(texts, session.started_at),
            )
        ]
        parts += [
            views.review_item_html(texts, item, persona, shared.label, cohorts)
            for item in conversation(session, persona)
        ]
        await send_long(
            bot,
            callback.message.chat.id,
            "\n\n".join(parts),
            views.export_keyboard(texts, shared.share.id),
        )

    @router.callback_query(ExportCb.filter())
    async def export(
        callback: CallbackQuery,
        callback_data: ExportCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        fmt = ExportFormat(callback_data.fmt)
        if callback_data.share:
            shared = await cohorts.sharing.open(trainee, callback_data.share, ShareVia.EXPORT)
            session, label = shared.session, shared.label
        else:
            session = await practice.owned_session(trainee.id, callback_data.session)
            label = await _label_for_owner(
                cohorts, trainee, callback_data.named, callback.from_user.full_name
            )
        await callback.answer()
        if callback.message is not None:
            await _send_export(
                bot, callback.message.chat.id, practice, cohorts, texts, session, label, fmt
            )

    return router
