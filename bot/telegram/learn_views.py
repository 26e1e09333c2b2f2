"""What the learning screens look like: Telegram HTML and inline keyboards.

Pure functions of the curriculum service's answers and the interface texts; the
routers decide when to show them. Every curriculum text is escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.evaluation import TurnEvaluation
from bot.learning import (
    Drill,
    DrillResult,
    LearningService,
    Module,
    ModuleStatus,
    PromptExercise,
    PromptResult,
    Suggestion,
)
from bot.telegram.callbacks import MenuCb, MenuItem
from bot.telegram.formatting import esc, fill
from bot.telegram.learn_callbacks import (
    DetailCb,
    DrillsCb,
    ModuleCb,
    NoticedCb,
    OpenDrillCb,
    OpenPromptCb,
    PromptAsideCb,
    PromptsCb,
    TheoryCb,
)
from bot.telegram.learn_texts import LearnTexts
from bot.telegram.texts import UiTexts

_BULLET = re.compile(r"^- ", flags=re.MULTILINE)


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def percent(rate: float) -> int:
    return round(100 * rate)


def _t(texts: UiTexts) -> LearnTexts:
    return texts.learning


# --- the module menu and a module's card --------------------------------------------------


def menu_screen(
    texts: UiTexts,
    learning: LearningService,
    statuses: Sequence[ModuleStatus],
    resume: Suggestion | None,
) -> tuple[str, InlineKeyboardMarkup]:
    t = _t(texts)
    lines = [t.menu_title, ""]
    for status in statuses:
        lines.append(_menu_row(t, status))
    builder = InlineKeyboardBuilder()
    if resume is not None:
        module = learning.module(resume.module_id)
        lines += [
            "",
            fill(t.menu_resume, kind=kind_name(t, resume.kind).lower(), title=module.title),
        ]
        builder.row(button(t.buttons.resume, open_payload(resume)))
    for status in statuses:
        builder.row(
            button(
                t.buttons.module.format(mark=getattr(t.marks, status.state), title=status.title),
                ModuleCb(module=status.module_id),
            )
        )
    builder.row(button(texts.buttons.menu, MenuCb(item=MenuItem.MENU)))
    return "\n".join(lines), builder.as_markup()


def _menu_row(t: LearnTexts, status: ModuleStatus) -> str:
    mark = getattr(t.marks, status.state)
    state = getattr(t.state_names, status.state)
    if status.state == "to_do":
        return fill(t.menu_row, mark=mark, title=status.title, state=state)
    accuracy = (
        t.menu_accuracy.format(percent=percent(status.accuracy))
        if status.accuracy is not None
        else ""
    )
    return fill(
        t.menu_row_started,
        mark=mark,
        title=status.title,
        state=state,
        right=status.drills_correct,
        drills=status.drills_total,
        accuracy=accuracy,
        prompts_done=status.prompts_done,
        prompts=status.prompts_total,
    )


def module_screen(
    texts: UiTexts, module: Module, status: ModuleStatus
) -> tuple[str, InlineKeyboardMarkup]:
    t = _t(texts)
    accuracy = (
        t.module_accuracy.format(percent=percent(status.accuracy))
        if status.accuracy is not None
        else ""
    )
    rating = (
        t.module_rating.format(rating=f"{status.mean_rating:.1f}")
        if status.mean_rating is not None
        else ""
    )
    text = fill(
        t.module_card,
        title=module.title,
        state=getattr(t.state_names, status.state),
        summary=module.summary,
        pages=status.theory_pages,
        right=status.drills_correct,
        drills=status.drills_total,
        accuracy=accuracy,
        prompts_done=status.prompts_done,
        prompts=status.prompts_total,
        rating=rating,
    )
    b = t.buttons
    rows = [
        [button(b.theory, TheoryCb(module=module.id, page=0))],
        [
            button(b.drill, DrillsCb(module=module.id)),
            button(b.prompt, PromptsCb(module=module.id)),
        ],
        [button(b.modules, MenuCb(item=MenuItem.LEARN))],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


# --- theory -------------------------------------------------------------------------------


def theory_screen(texts: UiTexts, module: Module, index: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page; the curriculum writes plain text with "- " bullets."""
    t = _t(texts)
    page = module.theory[index]
    body = _BULLET.sub("• ", esc(page.body))
    text = t.theory_page.format(
        module=esc(module.title),
        title=esc(page.title),
        page=index + 1,
        pages=len(module.theory),
        body=body,
    )
    b = t.buttons
    paging = []
    if index > 0:
        paging.append(button(b.previous, TheoryCb(module=module.id, page=index - 1)))
    if index < len(module.theory) - 1:
        paging.append(button(b.next, TheoryCb(module=module.id, page=index + 1)))
    rows = [paging] if paging else []
    if index == len(module.theory) - 1:
        rows.append([button(b.start_drills, DrillsCb(module=module.id))])
    rows.append([button(b.module_back.format(title=module.title), ModuleCb(module=module.id))])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


# --- drills -------------------------------------------------------------------------------


def exchange_html(texts: UiTexts, drill: Drill) -> str:
    t = _t(texts)
    return "\n".join(
        fill(t.exchange_line, speaker=getattr(t.speakers, line.speaker), text=line.text)
        for line in drill.exchange
    )


def drill_screen(
    texts: UiTexts, learning: LearningService, module: Module, drill: Drill, note: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The exchange and "What did you notice?" with the seed's options as buttons."""
    t = _t(texts)
    number = [d.id for d in module.drills].index(drill.id) + 1
    parts = [note] if note else []
    parts += [
        fill(t.drill_header, number=number, total=len(module.drills), module=module.title),
        exchange_html(texts, drill),
        fill(t.question, question=learning.noticed_question()),
    ]
    builder = InlineKeyboardBuilder()
    for option, label in learning.noticed_options():
        builder.row(button(label, NoticedCb(drill=drill.id, noticed=option)))
    builder.row(
        button(t.buttons.module_back.format(title=module.title), ModuleCb(module=module.id))
    )
    return "\n\n".join(parts), builder.as_markup()


def detail_screen(
    texts: UiTexts, learning: LearningService, module: Module, drill: Drill
) -> tuple[str, InlineKeyboardMarkup]:
    """After a right first answer: the exchange again and the finer question."""
    t = _t(texts)
    number = [d.id for d in module.drills].index(drill.id) + 1
    text = "\n\n".join(
        [
            fill(t.drill_header, number=number, total=len(module.drills), module=module.title),
            exchange_html(texts, drill),
            fill(t.noticed_right, answer=learning.label(drill.noticed.value)),
            fill(t.question, question=learning.detail_question(drill) or ""),
        ]
    )
    builder = InlineKeyboardBuilder()
    for option, label in learning.detail_options(drill):
        builder.row(button(label, DetailCb(drill=drill.id, option=option)))
    return text, builder.as_markup()


def verdict_screen(
    texts: UiTexts, learning: LearningService, module: Module, drill: Drill, result: DrillResult
) -> tuple[str, InlineKeyboardMarkup]:
    """The exchange, whether the answer was right, the right answer and the explanation."""
    t = _t(texts)
    label = learning.label
    right_answer = label(result.right_noticed.value)
    if result.right_detail is not None:
        right_answer = f"{right_answer} · {label(result.right_detail)}"
    if not result.noticed_correct:
        verdict = fill(t.verdict_wrong, chosen=label(result.noticed.value), right=right_answer)
    elif result.detail_correct is False and result.detail is not None:
        verdict = fill(
            t.verdict_half,
            noticed=label(result.noticed.value),
            right=label(result.right_detail or ""),
            chosen=label(result.detail),
        )
    else:
        verdict = fill(t.verdict_right, answer=right_answer)
    number = [d.id for d in module.drills].index(drill.id) + 1
    text = "\n\n".join(
        [
            fill(t.drill_header, number=number, total=len(module.drills), module=module.title),
            exchange_html(texts, drill),
            verdict,
            esc(result.explanation),
        ]
    )
    b = t.buttons
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [button(b.next_drill, DrillsCb(module=module.id, after=drill.id))],
            [button(b.module_back.format(title=module.title), ModuleCb(module=module.id))],
        ]
    )
    return text, markup


# --- prompts ------------------------------------------------------------------------------


def prompt_screen(
    texts: UiTexts,
    module: Module,
    prompt: PromptExercise,
    *,
    note: str = "",
    paused_title: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    t = _t(texts)
    number = [p.id for p in module.prompts].index(prompt.id) + 1
    parts = [note] if note else []
    parts.append(
        fill(t.prompt_header, number=number, total=len(module.prompts), module=module.title)
    )
    if prompt.context:
        parts.append(fill(t.prompt_context, context=prompt.context))
    parts.append(fill(t.exchange_line, speaker=t.speakers.patient, text=prompt.patient))
    parts.append(t.prompt_ask)
    if paused_title is not None:
        parts.append(fill(t.prompt_paused_session, title=paused_title))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[button(t.buttons.not_now, PromptAsideCb(module=module.id))]]
    )
    return "\n\n".join(parts), markup


def prompt_result_html(
    texts: UiTexts,
    learning: LearningService,
    result: PromptResult,
    evaluation: TurnEvaluation,
    anchors: Mapping[int, str],
) -> str:
    """Rating, the moves the exercise asked for (used or not), pitfalls, the model answer."""
    t = _t(texts)
    rating = evaluation.rating

    def names(items: Sequence[str]) -> str:
        return "; ".join(learning.label(item) for item in items)

    head = fill(
        t.prompt_result,
        rating=rating,
        meter="●" * rating + "○" * (5 - rating),
        anchor=anchors.get(rating, ""),
    )
    lines = [head]
    if result.hit_moves:
        lines.append(fill(t.prompt_hit, moves=names([m.value for m in result.hit_moves])))
    if result.missed_moves:
        lines.append(fill(t.prompt_missed, moves=names([m.value for m in result.missed_moves])))
    if evaluation.pitfalls:
        lines.append(
            fill(t.prompt_pitfalls, pitfalls=names([p.value for p in evaluation.pitfalls]))
        )
    paragraphs = ["\n".join(lines)]
    if evaluation.feedback.strip():
        paragraphs.append(esc(evaluation.feedback.strip()))
    paragraphs.append(fill(t.model_answer, answer=result.model_answer))
    paragraphs.append(fill(t.why, why=result.why))
    return "\n\n".join(paragraphs)


def after_prompt(texts: UiTexts, module: Module, prompt_id: str) -> InlineKeyboardMarkup:
    b = _t(texts).buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(b.next_prompt, PromptsCb(module=module.id, after=prompt_id))],
            [button(b.module_back.format(title=module.title), ModuleCb(module=module.id))],
        ]
    )


def put_aside(texts: UiTexts, module: Module) -> InlineKeyboardMarkup:
    b = _t(texts).buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(b.module_back.format(title=module.title), ModuleCb(module=module.id))],
            [button(texts.buttons.menu, MenuCb(item=MenuItem.MENU))],
        ]
    )


def kind_name(t: LearnTexts, kind: str) -> str:
    """The word for a suggestion's kind ("Drill", "Prompt")."""
    return str(getattr(t.kinds, kind))


def open_payload(suggestion: Suggestion) -> OpenDrillCb | OpenPromptCb:
    if suggestion.kind == "drill":
        return OpenDrillCb(drill=suggestion.item_id)
    return OpenPromptCb(prompt=suggestion.item_id)
