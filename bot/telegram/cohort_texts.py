"""Interface texts for trainers, cohorts, persona authoring, sharing and group review.

They live in `content/telegram.en.yaml` under ``cohorts:``; every key is required.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CohortButtons(_Texts):
    join: str
    report: str
    assign: str
    shared: str
    link_group: str
    new_invite: str
    cohorts: str
    module: str
    due_none: str
    due_days: str
    share: str
    share_as: str
    share_named: str
    stop_sharing: str
    export_pdf: str
    export_html: str
    export_named: str
    leave: str
    try_persona: str
    publish: str
    publish_all: str
    prompt: str
    start_review: str
    next: str
    stop_on: str
    stop_off: str


class CohortTexts(_Texts):
    buttons: CohortButtons
    role_names: dict[str, str]
    whoami: str
    trainer_only: str
    promote_usage: str
    promoted: str
    demoted: str
    trainers: str
    trainers_none: str
    cohorts_title: str
    cohorts_none: str
    newcohort_usage: str
    cohort_created: str
    cohort_card: str
    invite_renewed: str
    link_code: str
    report_title: str
    report_row: str
    report_overdue: str
    report_never: str
    report_empty: str
    report_caption: str
    chart_title: str
    assign_choose: str
    assign_modules: str
    assign_due: str
    assigned: str
    due: str
    due_date_format: str
    join_invited: str
    join_bad: str
    joined: str
    already_member: str
    assignments_title: str
    assignment_line: str
    assignment_overdue: str
    assignment_done: str
    assignments_none: str
    assignment_button: str
    module_assignment: str
    leave_choose: str
    left: str
    not_in_cohort: str
    share_choose: str
    share_confirm: str
    shared_done: str
    shares_title: str
    share_line: str
    share_views: str
    share_revoked_mark: str
    shares_none: str
    revoked: str
    no_cohort_to_share: str
    cohort_shares_title: str
    cohort_shares_none: str
    share_button: str
    shared_transcript: str
    export_caption: str
    upload_problems: str
    problem_line: str
    upload_not_trainer: str
    upload_too_big: str
    preview_title: str
    status_draft: str
    status_published: str
    replaced_published: str
    dryrun_title: str
    dryrun_trainee: str
    dryrun_state: str
    preview_hint: str
    prompt_caption: str
    publish_choose: str
    published: str
    scope_all: str
    principle_usage: str
    principle_saved: str
    principle_both: str
    principle_model_only: str
    principle_pace_tip: str
    my_personas: str
    my_persona_line: str
    my_personas_none: str
    group_link_usage: str
    group_linked: str
    group_unlinked: str
    group_use_private: str
    review_choose: str
    review_none: str
    review_stops: str
    stop_label: str
    review_header: str
    review_patient: str
    review_trainee: str
    note_marker: str
    note_tension: str
    note_moves: str
    note_pitfalls: str
    note_change: str
    poll_marker: str
    poll_repair: str
    poll_explanation: str
    review_pause: str
    summary_title: str
    summary_marker: str
    summary_repair: str
    summary_no_votes: str
    summary_outcome: str
    summary_none: str
    review_only_trainer: str
