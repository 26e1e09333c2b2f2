"""Telegram HTML and keyboards for cohorts, assignments, sharing, authoring and review.

Everything a user, a persona file or a trainer wrote passes through `esc`/`fill`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.authoring.dryrun import DryRun
from bot.cohort_wiring import Cohorts
from bot.cohorts.records import AssignmentKind, CohortRecord
from bot.cohorts.report import AssignmentStatus, CohortReport
from bot.cohorts.review import ReviewItem
from bot.domain.ids import Speaker
from bot.domain.persona import Persona
from bot.telegram import keyboards
from bot.telegram.callbacks import MenuCb, MenuItem
from bot.telegram.cohort_callbacks import (
    AssignCb,
    CohortCb,
    CohortListCb,
    CohortView,
    ExportCb,
    PersonaAction,
    PersonaCbAction,
    ShareCb,
    StartAssignedCb,
)
from bot.telegram.formatting import esc, fill, snippet
from bot.telegram.texts import UiTexts

DUE_CHOICES = (3, 7, 14)


def plain(text: str) -> str:
    """Alerts are plain text: drop the few tags interface texts may carry."""
    for tag in ("b", "i", "code"):
        text = text.replace(f"<{tag}>", "").replace(f"</{tag}>", "")
    return text


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def invite_link(username: str | None, token: str) -> str:
    return f"https://t.me/{username or 'your_bot'}?start={token}"


# --- trainers -------------------------------------------------------------------------------


def cohort_list(texts: UiTexts, cohorts: Sequence[CohortRecord]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for cohort in cohorts:
        builder.row(button(snippet(cohort.name, 60), CohortCb(cohort=cohort.id)))
    return builder.as_markup()


def cohort_keyboard(texts: UiTexts, cohort_id: int) -> InlineKeyboardMarkup:
    b = texts.cohorts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(b.report, CohortCb(cohort=cohort_id, show=CohortView.REPORT)),
                button(b.assign, CohortCb(cohort=cohort_id, show=CohortView.ASSIGN)),
            ],
            [
                button(b.shared, CohortCb(cohort=cohort_id, show=CohortView.SHARED)),
                button(b.link_group, CohortCb(cohort=cohort_id, show=CohortView.LINK)),
            ],
            [
                button(b.new_invite, CohortCb(cohort=cohort_id, show=CohortView.INVITE)),
                button(b.cohorts, CohortListCb()),
            ],
        ]
    )


def back_to_cohort(texts: UiTexts, cohort_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(texts.buttons.back, CohortCb(cohort=cohort_id))]]
    )


def _rating(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}/5"


def report_html(texts: UiTexts, report: CohortReport, cohorts: Cohorts) -> str:
    t = texts.cohorts
    name = report.cohort.name
    if not report.trainees:
        return fill(t.report_empty, name=name)
    parts = [fill(t.report_title, name=name, count=len(report.trainees))]
    for row in report.trainees:
        moves = ", ".join(f"{cohorts.label(m)} ×{n}" for m, n in row.moves.items()) or "–"
        overdue = fill(t.report_overdue, items=", ".join(row.overdue)) if row.overdue else ""
        last = row.last_active.strftime(t.due_date_format) if row.last_active else t.report_never
        parts.append(
            t.report_row.format(
                name=esc(row.name),
                sessions=row.sessions_done,
                rating=_rating(row.mean_rating),
                moves=esc(moves),
                done=row.assignments_done,
                total=row.assignments_total,
                overdue=overdue,
                last=esc(last),
            )
        )
    return "\n\n".join(parts)


def assign_keyboard(
    texts: UiTexts, cohort_id: int, personas: Sequence[Persona], has_modules: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for persona in personas:
        builder.row(
            button(
                texts.persona_button.format(
                    title=persona.title, difficulty=texts.difficulty_mark * persona.difficulty
                ),
                AssignCb(cohort=cohort_id, kind="p", item=persona.id),
            )
        )
    row = [button(texts.buttons.back, CohortCb(cohort=cohort_id))]
    if has_modules:
        row.insert(
            0,
            button(texts.buttons.learn, CohortCb(cohort=cohort_id, show=CohortView.MODULES)),
        )
    builder.row(*row)
    return builder.as_markup()


def module_keyboard(
    texts: UiTexts, cohort_id: int, modules: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for module_id, title in modules:
        builder.row(
            button(
                texts.cohorts.buttons.module.format(title=title),
                AssignCb(cohort=cohort_id, kind="m", item=module_id),
            )
        )
    builder.row(button(texts.buttons.back, CohortCb(cohort=cohort_id, show=CohortView.ASSIGN)))
    return builder.as_markup()


def due_keyboard(texts: UiTexts, cb: AssignCb) -> InlineKeyboardMarkup:
    b = texts.cohorts.buttons
    rows = [
        [button(b.due_days.format(days=d), AssignCb(**{**cb.model_dump(), "days": d}))]
        for d in DUE_CHOICES
    ]
    rows.append([button(b.due_none, AssignCb(**{**cb.model_dump(), "days": -2}))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- trainees -------------------------------------------------------------------------------


def assignments_html(texts: UiTexts, statuses: Sequence[AssignmentStatus]) -> str:
    t = texts.cohorts
    lines = [t.assignments_title]
    for status in statuses:
        due = ""
        when = status.assignment.due_at
        if when is not None and not status.done:
            date = when.strftime(t.due_date_format)
            due = (
                fill(t.assignment_overdue, date=date) if status.overdue else fill(t.due, date=date)
            )
        mark = t.assignment_done if status.done else "•"
        lines.append(
            t.assignment_line.format(
                mark=mark, title=esc(status.title), cohort=esc(status.cohort_name), due=due
            )
        )
    return "\n".join(lines)


def practise_keyboard(texts: UiTexts, statuses: Sequence[AssignmentStatus]) -> InlineKeyboardMarkup:
    """The rupture-type menu with the open assignments on top."""
    rows = [
        [
            button(
                texts.cohorts.assignment_button.format(title=snippet(s.title, 40)),
                StartAssignedCb(assignment=s.assignment.id),
            )
        ]
        for s in statuses
        if not s.done
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[*rows, *keyboards.rupture_types(texts).inline_keyboard]
    )


async def practise_screen(
    texts: UiTexts, trainee_id: int | None, cohorts: Cohorts | None
) -> tuple[str, InlineKeyboardMarkup]:
    """What 🎭 Practise shows: assignments first (if any), then the rupture types."""
    if cohorts is None or trainee_id is None:
        return texts.choose_rupture, keyboards.rupture_types(texts)
    user = await cohorts.service.users.get_user(trainee_id)
    statuses = await cohorts.service.assignments_for(user) if user else []
    open_ones = [s for s in statuses if not s.done]
    if not open_ones:
        return texts.choose_rupture, keyboards.rupture_types(texts)
    text = f"{assignments_html(texts, open_ones)}\n\n{texts.choose_rupture}"
    return text, practise_keyboard(texts, open_ones)


def share_export_rows(texts: UiTexts, session_id: int) -> list[list[InlineKeyboardButton]]:
    """Rows under a finished session in /history: share with the cohort, export."""
    b = texts.cohorts.buttons
    return [
        [
            button(b.share, ShareCb(session=session_id)),
            button(b.export_pdf, ExportCb(session=session_id, fmt="pdf")),
            button(b.export_html, ExportCb(session=session_id, fmt="html")),
        ],
        [button(b.export_named, ExportCb(session=session_id, fmt="pdf", named=True))],
    ]


def export_keyboard(texts: UiTexts, share_id: int) -> InlineKeyboardMarkup:
    b = texts.cohorts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(b.export_pdf, ExportCb(share=share_id, fmt="pdf")),
                button(b.export_html, ExportCb(share=share_id, fmt="html")),
            ]
        ]
    )


def date_label(texts: UiTexts, moment: datetime) -> str:
    return moment.strftime(texts.history_date_format)


# --- authoring ------------------------------------------------------------------------------


def preview_keyboard(texts: UiTexts, persona_id: str) -> InlineKeyboardMarkup:
    b = texts.cohorts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    b.try_persona, PersonaCbAction(persona=persona_id, action=PersonaAction.TRY)
                ),
                button(
                    b.publish, PersonaCbAction(persona=persona_id, action=PersonaAction.PUBLISH)
                ),
                button(b.prompt, PersonaCbAction(persona=persona_id, action=PersonaAction.PROMPT)),
            ]
        ]
    )


def dryrun_html(texts: UiTexts, run: DryRun, cohorts: Cohorts) -> str:
    t = texts.cohorts
    lines = [t.dryrun_title, fill(texts.patient_line, name=run.patient_name, line=run.opening)]
    for turn in run.turns:
        e = turn.evaluation
        found = [cohorts.label(m) for m in e.moves] + [cohorts.label(p) for p in e.pitfalls]
        lines += [
            "",
            fill(t.dryrun_trainee, number=turn.number, reply=turn.reply),
            fill(
                t.dryrun_state,
                moves=", ".join(found) or "–",
                before=turn.before.tension,
                after=turn.after.tension,
                stage=turn.after.stage.value.replace("_", " "),
            ),
            fill(texts.patient_line, name=run.patient_name, line=turn.patient_line),
        ]
    return "\n".join(lines)


# --- group review ---------------------------------------------------------------------------


def review_item_html(
    texts: UiTexts, item: ReviewItem, persona: Persona, label: str, cohorts: Cohorts
) -> str:
    t = texts.cohorts
    notes: list[str] = []
    if item.speaker is Speaker.PATIENT:
        head = fill(t.review_patient, name=persona.patient.name, text=item.text)
        if item.markers:
            notes.append(
                fill(t.note_marker, markers=", ".join(cohorts.label(m) for m in item.markers))
            )
        if item.state is not None:
            notes.append(fill(t.note_tension, tension=item.state.tension))
    else:
        head = fill(t.review_trainee, label=label, turn=item.turn, text=item.text)
        e = item.evaluation
        if e is not None:
            notes.append(
                fill(t.note_moves, moves=", ".join(cohorts.label(m) for m in e.moves) or "–")
            )
            if e.pitfalls:
                notes.append(
                    fill(t.note_pitfalls, pitfalls=", ".join(cohorts.label(p) for p in e.pitfalls))
                )
            if item.state is not None and item.before is not None:
                notes.append(
                    fill(
                        t.note_change,
                        rating=e.rating,
                        before=item.before.tension,
                        after=item.state.tension,
                    )
                )
    if not notes:
        return head
    return f"{head}\n<i>{' · '.join(notes)}</i>"


def main_menu_button(texts: UiTexts) -> InlineKeyboardButton:
    return button(texts.buttons.menu, MenuCb(item=MenuItem.MENU))


def kind_of(value: str) -> AssignmentKind:
    return AssignmentKind.PERSONA if value == "p" else AssignmentKind.MODULE
