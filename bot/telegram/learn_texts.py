"""Interface texts for the learning modules, /progress and group drills.

They live in `content/telegram.en.yaml` under ``learning:``; every key is required.
The curriculum itself (theory, drills, prompts, labels) is in `content/modules/`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LearnButtons(_Texts):
    resume: str
    module: str
    theory: str
    drill: str
    prompt: str
    modules: str
    module_back: str
    previous: str
    next: str
    start_drills: str
    next_drill: str
    next_prompt: str
    not_now: str
    suggestion: str
    past_sessions: str
    learn: str


class StateMarks(_Texts):
    to_do: str
    in_progress: str
    done: str


class Speakers(_Texts):
    patient: str
    therapist: str


class Kinds(_Texts):
    drill: str
    prompt: str


class Suggestions(_Texts):
    weakest: str
    untried: str
    start: str
    resume: str


class LearnTexts(_Texts):
    buttons: LearnButtons
    marks: StateMarks
    state_names: StateMarks
    speakers: Speakers
    kinds: Kinds
    menu_title: str
    menu_row: str
    menu_row_started: str
    menu_accuracy: str
    menu_resume: str
    module_card: str
    module_accuracy: str
    module_rating: str
    theory_page: str
    drill_header: str
    exchange_line: str
    question: str
    noticed_right: str
    verdict_right: str
    verdict_half: str
    verdict_wrong: str
    all_drills_right: str
    prompt_header: str
    prompt_context: str
    prompt_ask: str
    prompt_paused_session: str
    prompt_result: str
    prompt_hit: str
    prompt_missed: str
    prompt_pitfalls: str
    model_answer: str
    why: str
    all_prompts_done: str
    prompt_put_aside: str
    prompt_replaced_by_session: str
    expired: str
    progress_title: str
    progress_empty: str
    progress_recognition: str
    progress_family: str
    progress_skills: str
    progress_skill: str
    progress_untried: str
    progress_weeks: str
    progress_week: str
    progress_week_accuracy: str
    progress_week_rating: str
    week_format: str
    suggestion: Suggestions
    chart_caption: str
    group_drill: str
    group_unknown_module: str
    group_no_drills: str
    group_private_only: str
