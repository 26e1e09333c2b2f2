"""What /progress looks like: the summary per rupture family, repair skill and week, and
the next suggested exercise with a button that opens it (the chart is `bot.progress_chart`)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.learning import LearningService, Progress, Suggestion
from bot.telegram.callbacks import MenuCb, MenuItem
from bot.telegram.formatting import fill
from bot.telegram.learn_texts import LearnTexts
from bot.telegram.learn_views import button, kind_name, open_payload, percent
from bot.telegram.texts import UiTexts


def progress_html(texts: UiTexts, learning: LearningService, progress: Progress) -> str:
    """Recognition per family, repair moves per skill, week by week, and what to do next."""
    t = texts.learning
    families = learning.catalog.glossary.families
    if not progress.drills_answered and not progress.prompts_answered:
        paragraphs = [t.progress_empty]
    else:
        paragraphs = [
            fill(
                t.progress_title, drills=progress.drills_answered, prompts=progress.prompts_answered
            )
        ]
        recognised = [f for f in progress.recognition if f.accuracy is not None]
        if recognised:
            paragraphs.append(
                "\n".join(
                    [
                        t.progress_recognition,
                        *(
                            fill(
                                t.progress_family,
                                label=families.get(f.family, f.family.value),
                                percent=percent(f.accuracy or 0),
                                correct=f.correct,
                                attempts=f.attempts,
                            )
                            for f in recognised
                        ),
                    ]
                )
            )
        tried = [s for s in progress.skills if s.rate is not None]
        untried = [s for s in progress.skills if s.rate is None]
        if tried:
            skill_lines = [
                fill(
                    t.progress_skill,
                    label=learning.label(s.skill.value),
                    hit=s.hit,
                    expected=s.expected,
                    percent=percent(s.rate or 0),
                )
                for s in tried
            ]
            if untried:
                skill_lines.append(
                    fill(
                        t.progress_untried,
                        items="; ".join(learning.label(s.skill.value) for s in untried),
                    )
                )
            paragraphs.append("\n".join([t.progress_skills, *skill_lines]))
        if progress.weeks:
            paragraphs.append("\n".join([t.progress_weeks, *_weeks(t, progress)]))
    if progress.suggestion is not None:
        paragraphs.append(suggestion_html(texts, learning, progress.suggestion))
    return "\n\n".join(paragraphs)


def _weeks(t: LearnTexts, progress: Progress, last: int = 4) -> list[str]:
    lines = []
    for week in progress.weeks[-last:]:
        accuracy = (
            t.progress_week_accuracy.format(percent=percent(week.drill_accuracy))
            if week.drill_accuracy is not None
            else ""
        )
        rating = (
            t.progress_week_rating.format(rating=f"{week.mean_rating:.1f}")
            if week.mean_rating is not None
            else ""
        )
        lines.append(
            fill(
                t.progress_week,
                week=week.week_start.strftime(t.week_format),
                drills=week.drills,
                accuracy=accuracy,
                prompts=week.prompts,
                rating=rating,
            )
        )
    return lines


def focus_label(learning: LearningService, suggestion: Suggestion) -> str:
    """A rupture family reads as its glossary family name, a skill as its label."""
    families = learning.catalog.glossary.families
    for family, name in families.items():
        if family.value == suggestion.focus and suggestion.kind == "drill":
            return name
    return learning.label(suggestion.focus)


def suggestion_html(texts: UiTexts, learning: LearningService, suggestion: Suggestion) -> str:
    t = texts.learning
    template = getattr(t.suggestion, suggestion.reason)
    return fill(
        template,
        kind=kind_name(t, suggestion.kind).lower(),
        focus=focus_label(learning, suggestion),
        percent=percent(suggestion.rate or 0),
    )


def progress_keyboard(
    texts: UiTexts, learning: LearningService, suggestion: Suggestion | None
) -> InlineKeyboardMarkup:
    t = texts.learning
    rows = []
    if suggestion is not None:
        label = t.buttons.suggestion.format(
            kind=kind_name(t, suggestion.kind), focus=focus_label(learning, suggestion)
        )
        rows.append([button(label, open_payload(suggestion))])
    rows.append(
        [
            button(t.buttons.learn, MenuCb(item=MenuItem.LEARN)),
            button(t.buttons.past_sessions, MenuCb(item=MenuItem.HISTORY)),
        ]
    )
    rows.append([button(texts.buttons.menu, MenuCb(item=MenuItem.MENU))])
    return InlineKeyboardMarkup(inline_keyboard=rows)
