"""The bot's interface texts: content in `content/telegram.en.yaml`, validated at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.domain.content import load_model
from bot.telegram.cohort_texts import CohortTexts
from bot.telegram.learn_texts import LearnTexts

TEXTS_FILE = "telegram.en.yaml"


class _Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommandTexts(_Texts):
    start: str
    practice: str
    hint: str
    end: str
    history: str
    learn: str
    progress: str
    menu: str
    help: str


class GroupCommandTexts(_Texts):
    drill: str
    review: str


class ButtonTexts(_Texts):
    agree: str
    decline: str
    practise: str
    learn: str
    progress: str
    help: str
    confrontation: str
    withdrawal: str
    mixed: str
    surprise: str
    back: str
    what_if: str
    practise_again: str
    menu: str
    feedback: str
    transcript: str
    forget_confirm: str
    forget_cancel: str


class EndTexts(_Texts):
    resolved: str
    turn_limit: str
    ended_by_trainee: str
    abandoned: str


class UiTexts(_Texts):
    """Every key is required, so a missing text fails at start-up, not in front of a user."""

    intro: str
    consent_question: str
    consent_thanks: str
    consent_declined: str
    consent_required: str
    welcome_back: str
    menu: str
    help: str
    learn: str
    commands: CommandTexts
    group_commands: GroupCommandTexts
    buttons: ButtonTexts
    choose_rupture: str
    choose_persona: str
    persona_card: str
    persona_button: str
    difficulty_mark: str
    language_labels: dict[str, str]
    no_personas: str
    persona_chosen: str
    session_header: str
    patient_line: str
    hint: str
    resumed: str
    replaced_session: str
    no_session: str
    session_ended: EndTexts
    feedback_title: str
    chart_caption: str
    chart_title: str
    after_feedback: str
    what_if_prompt: str
    what_if_button: str
    what_if_started: str
    what_if_none: str
    history_title: str
    history_title_no_rating: str
    history_empty: str
    history_button: str
    history_rating: str
    history_running: str
    history_unrated: str
    history_item: str
    history_date_format: str
    transcript_caption: str
    transcript_trainee: str
    voice_echo: str
    voice_unavailable: str
    voice_failed: str
    voice_empty: str
    non_text: str
    unknown_command: str
    button_refused: str
    error: str
    cohorts: CohortTexts
    learning: LearnTexts
    model_fallback: str
    mydata_caption: str
    forget_question: str
    forget_done: str
    forget_kept: str

    def ended(self, reason: str) -> str:
        return str(getattr(self.session_ended, reason, self.session_ended.ended_by_trainee))


def load_texts(content_dir: Path) -> UiTexts:
    """Raises `ContentError` naming the file and field when a text is missing or unknown."""
    return load_model(content_dir / TEXTS_FILE, UiTexts)
