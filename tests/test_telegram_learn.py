"""The learning modules on Telegram: the module menu, theory pages, recognition drills,
resuming, and prompt exercises judged by the offline rule judge. Real aiogram over HTTP
to the fake Bot API, a real SQLite database."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from bot.adapters.openai_llm import OpenAITranscriber, make_client
from bot.domain.evaluation import RuptureMoment, Utterance
from bot.domain.ids import RepairStrategy, Speaker
from bot.judges.rules import RuleJudge
from bot.learning import LearningService
from bot.learning.models import ModuleId, Noticed
from bot.learning.records import DrillAttempt, PromptAttempt
from bot.learning.service import MAX_REPLY_CHARS
from bot.telegram.app import create_dispatcher
from bot.telegram.callbacks import MAX_CALLBACK_BYTES
from bot.telegram.learn_callbacks import DetailCb, DrillsCb, NoticedCb, PromptsCb
from bot.telegram.learn_views import after_prompt, detail_screen, drill_screen, prompt_screen
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram_kit import USER, Rig, catalog, crisis, curriculum, rig, texts
from tests.test_telegram_practice import PERSONA

INTRO = curriculum().modules[ModuleId.INTRODUCTION]
CONFRONTATION = curriculum().modules[ModuleId.CONFRONTATION]
MODULE_ROWS_NEW = [
    [("◻️ Introduction", "lm:introduction")],
    [("◻️ Confrontation ruptures", "lm:confrontation")],
    [("◻️ Withdrawal ruptures", "lm:withdrawal")],
    [("◻️ Mixed ruptures", "lm:mixed")],
    [("◻️ Immediate resolutions", "lm:immediate")],
    [("◻️ Expressive resolutions", "lm:expressive")],
    [("☰ Menu", "m:menu")],
]
MENU_HEAD = (
    "<b>📖 Learning modules</b>\n"
    "Theory, recognition drills and prompt exercises, in the order of the AFT course. "
    "Your answers are saved, so you can stop at any time and carry on later.\n\n"
)
EXCHANGE_D01 = (
    "<b>Therapist:</b> Last week we agreed you'd try the thought record. How did it go?\n"
    "<b>Patient:</b> Honestly? Filling in columns about my feelings is pointless. "
    "I don't see how a worksheet is going to fix anything."
)
EXPLANATION_D01 = (
    "The patient moves against the work, and the target is the task itself (the worksheet), "
    "not you personally: a complaint about the activities of therapy. It is also useful "
    "information. The task may not fit, and asking what feels pointless about it usually "
    "helps more than defending it."
)
NOTICED_ROWS_D01 = [
    [("Confrontation rupture", "ln:intro-d01:confrontation_rupture")],
    [("Withdrawal rupture", "ln:intro-d01:withdrawal_rupture")],
    [("Mixed rupture", "ln:intro-d01:mixed_rupture")],
    [("Immediate repair strategy", "ln:intro-d01:immediate_repair")],
    [("Expressive repair strategy", "ln:intro-d01:expressive_repair")],
    [("None is correct", "ln:intro-d01:none")],
    [("← Introduction", "lm:introduction")],
]
AFTER_D01 = [
    [("🎯 Next drill", "ld:introduction:intro-d01")],
    [("← Introduction", "lm:introduction")],
]


def attempts(r: Rig, table: str = "learning_drill_attempts") -> int:
    return r.rows(table)


def service(r: Rig) -> LearningService:
    assert r.learning is not None
    return r.learning


def labels(items: Sequence[RepairStrategy]) -> str:
    return "; ".join(curriculum().glossary.label(item.value) for item in items)


async def stored_drills(r: Rig) -> list[DrillAttempt]:
    return await service(r).store.drill_attempts((await r.trainee()).id)


async def open_module(r: Rig, button: str = "◻️ Introduction") -> None:
    await r.say("/learn")
    await r.tap(button)


async def test_module_menu_shows_each_module_with_its_progress(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.tap("📖 Learn")
        menu = r.tg.last_message(USER)
        assert menu["text"] == MENU_HEAD + (
            "◻️ <b>Introduction</b>: to do\n"
            "◻️ <b>Confrontation ruptures</b>: to do\n"
            "◻️ <b>Withdrawal ruptures</b>: to do\n"
            "◻️ <b>Mixed ruptures</b>: to do\n"
            "◻️ <b>Immediate resolutions</b>: to do\n"
            "◻️ <b>Expressive resolutions</b>: to do"
        )
        assert FakeTelegram.buttons(menu) == MODULE_ROWS_NEW

        await r.tap("◻️ Introduction")
        card = r.tg.last_message(USER)
        assert card is menu  # edited in place
        intro = INTRO
        assert card["text"] == (
            f"<b>Introduction</b> · to do\n{html.escape(intro.summary, quote=False)}\n\n"
            f"📄 Theory: {len(intro.theory)} pages\n"
            f"🎯 Drills: 0 of {len(intro.drills)} answered right\n"
            f"✍️ Prompts: 0 of {len(intro.prompts)} answered"
        )
        assert FakeTelegram.buttons(card) == [
            [("📄 Theory", "lt:introduction:0")],
            [("🎯 Drills", "ld:introduction:"), ("✍️ Prompts", "lp:introduction:")],
            [("← Modules", "m:learn")],
        ]

        # one drill right, one wrong: the menu counts them and offers to continue
        await r.tap("🎯 Drills")
        await r.tap("Confrontation rupture")
        await r.tap("Complaint about the activities of therapy")
        await r.tap("🎯 Next drill")
        await r.tap("Confrontation rupture")
        await r.say("/learn")
        menu = r.tg.last_message(USER)
        drills = len(intro.drills)
        assert menu["text"] == MENU_HEAD + (
            f"🔸 <b>Introduction</b>: in progress · drills 1/{drills} right (50% of answers)"
            f" · prompts 0/{len(intro.prompts)}\n"
            "◻️ <b>Confrontation ruptures</b>: to do\n"
            "◻️ <b>Withdrawal ruptures</b>: to do\n"
            "◻️ <b>Mixed ruptures</b>: to do\n"
            "◻️ <b>Immediate resolutions</b>: to do\n"
            "◻️ <b>Expressive resolutions</b>: to do\n\n"
            "<i>Next up: a drill in Introduction.</i>"
        )
        assert FakeTelegram.buttons(menu) == [
            [("▶ Continue where I left off", "lo:intro-d03")],
            [("🔸 Introduction", "lm:introduction")],
            *MODULE_ROWS_NEW[1:],
        ]


async def test_theory_pages_turn_with_arrows_and_lead_to_the_drills(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await open_module(r)
        pages = len(INTRO.theory)
        await r.tap("📄 Theory")
        page = r.tg.last_message(USER)
        assert page["text"].startswith(
            f"<b>Introduction · Welcome</b> (1/{pages})\n\n"
            "This course brings the online Alliance-Focused Training (AFT) curriculum"
        )
        assert "\n• Theory: a few short pages like this one.\n" in page["text"]
        assert FakeTelegram.buttons(page) == [
            [("▶", "lt:introduction:1")],
            [("← Introduction", "lm:introduction")],
        ]
        await r.tap("▶")
        assert r.tg.last_message(USER)["text"].startswith(
            f"<b>Introduction · The therapeutic alliance</b> (2/{pages})"
        )
        assert FakeTelegram.buttons(r.tg.last_message(USER))[0] == [
            ("◀", "lt:introduction:0"),
            ("▶", "lt:introduction:2"),
        ]
        await r.send(r.tg.callback(USER, f"lt:introduction:{pages - 1}"))
        last = r.tg.last_message(USER)
        assert f"({pages}/{pages})" in last["text"]
        assert FakeTelegram.buttons(last) == [
            [("◀", f"lt:introduction:{pages - 2}")],
            [("🎯 On to the drills", "ld:introduction:")],
            [("← Introduction", "lm:introduction")],
        ]

        # a page that does not exist (a forged or outdated button) says so, no traceback
        await r.send(r.tg.callback(USER, "lt:introduction:99"))
        alert = r.tg.calls_to("answerCallbackQuery")[-1].params
        assert alert["text"] == f"Choose a page between 1 and {pages}."
        assert alert["show_alert"] is True


async def test_a_drill_answered_right_shows_the_finer_question_then_the_explanation(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await open_module(r)
        await r.tap("🎯 Drills")
        drill = r.tg.last_message(USER)
        header = f"<b>🎯 Drill 1 of {len(INTRO.drills)} · Introduction</b>"
        assert drill["text"] == (
            f"{header}\n\n{EXCHANGE_D01}\n\n<b>What did you notice in the last line?</b>"
        )
        assert FakeTelegram.buttons(drill) == NOTICED_ROWS_D01

        await r.tap("Confrontation rupture")
        assert r.tg.last_message(USER) is drill  # the same message, edited
        assert drill["text"] == (
            f"{header}\n\n{EXCHANGE_D01}\n\n✅ Confrontation rupture: right.\n\n"
            "<b>Which marker fits best?</b>"
        )
        options = FakeTelegram.buttons(drill)
        assert sorted(options) == sorted(
            [
                [
                    (
                        "Complaint about the activities of therapy",
                        "lx:intro-d01:complaint_about_activities",
                    )
                ],
                [("Complaint about the therapist", "lx:intro-d01:complaint_about_therapist")],
                [("Complaint about progress", "lx:intro-d01:complaint_about_progress")],
                [('Avoidant denial ("I\'m fine")', "lx:intro-d01:denial")],
            ]
        )
        assert attempts(r) == 0  # scored once, after the finer question

        await r.tap("Complaint about the activities of therapy")
        assert drill["text"] == (
            f"{header}\n\n{EXCHANGE_D01}\n\n"
            "✅ <b>Right:</b> Confrontation rupture · Complaint about the activities of therapy."
            f"\n\n{EXPLANATION_D01}"
        )
        assert FakeTelegram.buttons(drill) == AFTER_D01
        assert attempts(r) == 1
        (stored,) = await stored_drills(r)
        assert (stored.drill_id, stored.correct, stored.detail) == (
            "intro-d01",
            True,
            "complaint_about_activities",
        )

        # the old buttons cannot score the drill a second time
        await r.send(r.tg.callback(USER, "lx:intro-d01:complaint_about_activities", drill))
        alert = r.tg.calls_to("answerCallbackQuery")[-1].params
        assert alert == {
            "callback_query_id": alert["callback_query_id"],
            "text": "That question was already answered or has expired.",
            "show_alert": True,
        }
        assert attempts(r) == 1

        await r.tap("🎯 Next drill")
        assert r.tg.last_message(USER)["text"].startswith(
            f"<b>🎯 Drill 2 of {len(INTRO.drills)} · Introduction</b>\n\n<b>Therapist:</b>"
        )


async def test_a_drill_answered_wrong_shows_the_right_answer_and_why(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await open_module(r)
        await r.tap("🎯 Drills")
        drill = r.tg.last_message(USER)
        await r.tap("Withdrawal rupture")
        assert drill["text"] == (
            f"<b>🎯 Drill 1 of {len(INTRO.drills)} · Introduction</b>\n\n{EXCHANGE_D01}\n\n"
            "❌ <b>Not quite.</b> You chose Withdrawal rupture; this is "
            "<b>Confrontation rupture · Complaint about the activities of therapy</b>."
            f"\n\n{EXPLANATION_D01}"
        )
        assert FakeTelegram.buttons(drill) == AFTER_D01

        # right first answer, wrong finer answer: half right, still scored as wrong
        await r.send(r.tg.callback(USER, "lo:intro-d01"))
        again = r.tg.last_message(USER)
        assert again is not drill
        await r.tap("Confrontation rupture")
        await r.tap("Complaint about the therapist")
        assert (
            "◐ <b>Half right.</b> Confrontation rupture: yes. The second answer is "
            "<b>Complaint about the activities of therapy</b>, not Complaint about the therapist."
        ) in again["text"]
        # a button naming a drill that is not in the course (forged or outdated) says so
        await r.send(r.tg.callback(USER, "ln:gone-d99:none"))
        alert = r.tg.calls_to("answerCallbackQuery")[-1].params
        assert (alert["text"], alert["show_alert"]) == (
            "That drill is no longer in the course.",
            True,
        )
        stored = await stored_drills(r)
        assert [(a.noticed.value, a.detail, a.correct) for a in stored] == [
            ("withdrawal_rupture", None, False),
            ("confrontation_rupture", "complaint_about_therapist", False),
        ]


async def test_resume_picks_up_where_the_trainee_left_off_after_a_restart(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.say("/learn")
        await r.tap("◻️ Confrontation ruptures")
        await r.tap("🎯 Drills")
        await r.tap("None is correct")
        await r.tap("🎯 Next drill")
        await r.tap("Confrontation rupture")

        await r.restart()
        await r.say("/learn")
        assert r.tg.last_message(USER)["text"].endswith(
            "<i>Next up: a drill in Confrontation ruptures.</i>"
        )
        await r.tap("▶ Continue where I left off")
        assert r.tg.last_message(USER)["text"].startswith(
            f"<b>🎯 Drill 2 of {len(CONFRONTATION.drills)} · Confrontation ruptures</b>"
        )
        # /drill in a private chat does the same
        await r.say("/drill")
        assert r.tg.last_message(USER)["text"].startswith(
            f"<b>🎯 Drill 2 of {len(CONFRONTATION.drills)} · Confrontation ruptures</b>"
        )
        await r.say("/drill mixed")
        assert r.tg.last_message(USER)["text"].startswith("<b>🎯 Drill 1 of ")
        assert " · Mixed ruptures</b>" in r.tg.last_message(USER)["text"]


async def test_a_prompt_exercise_is_judged_and_shows_the_model_answer(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await open_module(r)
        await r.tap("✍️ Prompts")
        prompt = r.tg.last_message(USER)
        assert prompt["text"] == (
            "<b>✍️ Prompt 1 of 10 · Introduction</b>\n\n"
            "<i>Third session of CBT for panic. You have just suggested practising paced "
            "breathing again.</i>\n\n"
            "<b>Patient:</b> These breathing exercises are a waste of time. I could get this "
            "from a YouTube video.\n\n"
            "Answer as the therapist, in your own words: your next message is your answer."
        )
        assert FakeTelegram.buttons(prompt) == [[("✖ Not now", "la:introduction")]]

        exercise = service(r).prompt("intro-p01")
        answer = (
            "I hear that the breathing feels like a waste of your time. "
            "Can you tell me more about what feels pointless about it?"
        )
        expected = await r.judge.evaluate(
            RuptureMoment(
                lang="en",
                rupture=exercise.rupture,
                marker=exercise.marker,
                context=(Utterance(speaker=Speaker.PATIENT, text=exercise.patient),),
                reply=answer,
            )
        )
        mark = r.tg.mark()
        await r.say(answer)
        calls = r.tg.since(mark)
        assert calls[0].method == "sendChatAction"  # "typing…" before the judge runs
        assert "reply_markup" not in prompt  # the "Not now" button is gone
        (result,) = r.tg.texts_since(mark)
        anchor = catalog().rubric_for("en").rating_anchors[expected.rating]
        meter = "●" * expected.rating + "○" * (5 - expected.rating)
        assert result.startswith(
            f"<b>Your answer: {expected.rating}/5</b> {meter}\n<i>{anchor}</i>"
        )
        asked = exercise.expected_moves
        used = [m for m in asked if m in expected.moves]
        assert used, "an exploring question should count as exploring the rupture"
        assert f"\n✅ You used: {labels(used)}" in result
        missed = [m for m in asked if m not in used]
        if missed:
            assert f"\n➖ Not in your answer yet: {labels(missed)}" in result
        assert result.endswith(
            "<b>A model answer</b>\n"
            f"<blockquote>{html.escape(exercise.model_answer, quote=False)}</blockquote>\n\n"
            f"<b>Why it works</b>\n{html.escape(exercise.why, quote=False)}"
        )
        assert FakeTelegram.buttons(r.tg.last_message(USER)) == [
            [("✍️ Next prompt", "lp:introduction:intro-p01")],
            [("← Introduction", "lm:introduction")],
        ]
        assert attempts(r, "learning_prompt_attempts") == 1

        # the exercise is over: the next message is not taken as an answer again
        await r.say("Hello?")
        assert r.tg.sent_texts(USER)[-1] == r.texts.no_session
        assert attempts(r, "learning_prompt_attempts") == 1

        await r.tap("✍️ Next prompt")
        assert r.tg.last_message(USER)["text"].startswith("<b>✍️ Prompt 2 of 10 · Introduction</b>")


async def test_a_too_long_or_empty_answer_is_explained_and_the_prompt_keeps_waiting(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await open_module(r)
        await r.tap("✍️ Prompts")
        await r.say("x" * (MAX_REPLY_CHARS + 1))
        assert r.tg.sent_texts(USER)[-1] == (
            f"That answer is {MAX_REPLY_CHARS + 1} characters long; please keep it under "
            f"{MAX_REPLY_CHARS}, as you would speak in a session."
        )
        await r.say("I want to kill myself, honestly.")
        assert r.tg.sent_texts(USER)[-1] == html.escape(crisis().help_message("en"), quote=False)
        assert attempts(r, "learning_prompt_attempts") == 0
        await r.tap("✍️ Prompts")  # reopening works
        await r.say("Tell me more about what feels like a waste of time.")
        assert r.tg.sent_texts(USER)[-1].startswith("<b>Your answer: ")
        assert attempts(r, "learning_prompt_attempts") == 1


async def test_an_open_prompt_takes_the_next_message_even_during_a_role_play(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await r.start_session(PERSONA)
        user = await r.trainee()
        session = await r.practice.active(user.id)
        assert session is not None
        turns = len(session.turns)

        await open_module(r)
        await r.tap("✍️ Prompts")
        assert r.tg.last_message(USER)["text"].endswith(
            "<i>Your practice session with The homework is pointless stays open. This answer "
            "goes to the exercise, not to the patient; after it, your messages go to the "
            "patient again.</i>"
        )
        await r.say("Can you tell me more about what feels like a waste of time?")
        assert r.tg.sent_texts(USER)[-1].startswith("<b>Your answer: ")
        running = await r.practice.active(user.id)
        assert running is not None and len(running.turns) == turns  # the patient heard nothing

        mark = r.tg.mark()
        await r.say("I notice things feel tense between us since I mentioned the homework.")
        assert any(t.startswith("<b>Daniel:</b> ") for t in r.tg.texts_since(mark))

        # "Not now": the prompt is put aside and messages go to the patient again
        await r.tap("✍️ Next prompt")
        await r.tap("✖ Not now")
        assert r.tg.sent_texts(USER)[-1] == r.texts.learning.prompt_put_aside
        mark = r.tg.mark()
        await r.say("What is it like for you to sit here with me right now?")
        assert any(t.startswith("<b>Daniel:</b> ") for t in r.tg.texts_since(mark))
        assert attempts(r, "learning_prompt_attempts") == 1


async def test_a_role_play_started_after_a_prompt_takes_the_messages(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.consent()
        await open_module(r)
        await r.tap("✍️ Prompts")
        await r.start_session(PERSONA)
        mark = r.tg.mark()
        await r.say("I notice things feel tense between us since I mentioned the homework.")
        sent = r.tg.texts_since(mark)
        assert sent[0] == r.texts.learning.prompt_replaced_by_session
        assert any(t.startswith("<b>Daniel:</b> ") for t in sent[1:])
        assert attempts(r, "learning_prompt_attempts") == 0


async def test_without_a_curriculum_learn_shows_the_short_primer(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        r.dp = create_dispatcher(practice=r.practice, texts=r.texts, session_seed=r.seed)
        await r.consent()
        await r.say("/learn")
        assert r.tg.sent_texts(USER)[-1] == r.texts.learn


class NoStore:
    """The keyboards read only the catalogue; nothing is stored here."""

    async def add_drill_attempt(self, attempt: DrillAttempt) -> int:
        raise NotImplementedError

    async def add_prompt_attempt(self, attempt: PromptAttempt) -> int:
        raise NotImplementedError

    async def set_drill_detail(
        self, user_id: int, drill_id: str, detail: str, detail_correct: bool
    ) -> bool:
        raise NotImplementedError

    async def drill_attempts(
        self, user_id: int, module_id: str | None = None
    ) -> list[DrillAttempt]:
        return []

    async def prompt_attempts(
        self, user_id: int, module_id: str | None = None
    ) -> list[PromptAttempt]:
        return []


def test_every_learning_button_fits_in_a_callback() -> None:
    """Telegram refuses payloads over 64 bytes; check every drill, option and prompt."""
    ui = texts()
    learning = LearningService(curriculum(), NoStore(), RuleJudge(catalog().rubrics))
    sizes: list[int] = []
    for module in curriculum().modules.values():
        markups = []
        for drill in module.drills:
            markups.append(drill_screen(ui, learning, module, drill)[1])
            if drill.detail is not None:
                markups.append(detail_screen(ui, learning, module, drill)[1])
        for prompt in module.prompts:
            markups.append(prompt_screen(ui, module, prompt)[1])
            markups.append(after_prompt(ui, module, prompt.id))
        sizes += [
            len((button.callback_data or "").encode())
            for markup in markups
            for row in markup.inline_keyboard
            for button in row
        ]
    assert len(sizes) > 500
    assert max(sizes) <= MAX_CALLBACK_BYTES
    longest_id = "x" * 32
    for data in (
        NoticedCb(drill=longest_id, noticed=Noticed.CONFRONTATION_RUPTURE),
        DetailCb(drill=longest_id, option="disclose_internal_experience"),
        DrillsCb(module=ModuleId.CONFRONTATION, after=longest_id),
        PromptsCb(module=ModuleId.CONFRONTATION, after=longest_id),
    ):
        assert len(data.pack().encode()) <= MAX_CALLBACK_BYTES


async def test_a_prompt_can_be_answered_with_a_voice_note(tmp_path: Path) -> None:
    spoken = "Can you tell me more about what feels like a waste of time?"
    async with FakeOpenAI() as ai:
        ai.enqueue_transcription(FakeReply.text(spoken))
        async with make_client(ai.base_url, "k", timeout_s=5, max_retries=0) as client:
            transcriber = OpenAITranscriber(client, "whisper-test")
            async with rig(tmp_path, transcriber=transcriber) as r:
                await r.consent()
                await open_module(r)
                await r.tap("✍️ Prompts")
                mark = r.tg.mark()
                await r.send(r.tg.voice(USER, b"OggS-fake-voice" * 20))
                echo, result = r.tg.texts_since(mark)
                assert echo == f"🎙 I heard: “{spoken}”"
                assert result.startswith("<b>Your answer: ")
                (stored,) = await service(r).store.prompt_attempts((await r.trainee()).id)
                assert stored.reply == spoken
