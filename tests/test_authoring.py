"""Persona authoring: the dry-run command, uploads (good, broken, sandbox-breaking),
preview, publish to the trainer's cohorts only, and principles stored and used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.authoring.library import PersonaLibrary
from bot.domain.state import PatientState
from tests.cohort_kit import OTHER_TRAINEE, TRAINEE, TRAINER, CohortRig, cohort_rig
from tests.telegram_kit import ROOT

PERSONAS = ROOT / "personas"
IGNORE = "Let's get back to the worksheet, we have a lot to cover."
META = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I think I pushed it on you without asking how it was for you, and that's on me."
)
TEMPLATE = """
template: |
  {% extends "base.j2" %}
  {% block extra %}
  # Extra
  {{ patient.name }} checks his phone when he feels criticised.
  {% endblock %}
"""


def persona_yaml(persona_id: str = "my-daniel", title: str = "Daniel, once more") -> bytes:
    text = (PERSONAS / "homework-pointless.yaml").read_text()
    text = text.replace("id: homework-pointless", f"id: {persona_id}")
    text = text.replace('title: "The homework is pointless"', f'title: "{title}"')
    return (text + TEMPLATE).encode()


# --- the dry-run command -------------------------------------------------------------------


def test_dryrun_prints_the_transcript_with_the_state_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    replies = tmp_path / "replies.txt"
    replies.write_text(f"{IGNORE}\n\n# a comment\n{META}\n")

    assert main(["personas", "dryrun", "homework-pointless", "--replies", str(replies)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Dry run: homework-pointless (The homework is pointless)")
    assert "[open] Daniel: Honestly?" in out[2]
    assert out[3].strip() == "tension 7 (high) · stage anger"
    assert f"[1] You: {IGNORE}" in out
    assert "       moves: — · pitfalls: ignores_rupture · rating 2/5" in out
    assert "       tension 7 → 9 (high) · stage anger · moves seen: —" in out
    assert f"[2] You: {META}" in out
    assert any(line.startswith("       tension 9 → 7 (high)") for line in out)
    assert out[-1] == "End: the scripted replies ran out after 2 replies · resolution 1/5"


def test_dryrun_reads_jsonl_and_tries_a_principle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    replies = tmp_path / "replies.jsonl"
    replies.write_text(json.dumps({"reply": IGNORE}) + "\n" + json.dumps({"reply": META}) + "\n")

    args = ["personas", "dryrun", "homework-pointless", "--replies", str(replies)]
    assert main([*args, "--principle", "slower"]) == 0

    out = capsys.readouterr().out
    assert "Principle: slower (softens at most 1 tension point a turn)" in out
    assert "tension 9 → 8 (high)" in out  # one point, not two


def test_dryrun_explains_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    replies = tmp_path / "replies.txt"
    replies.write_text(IGNORE)
    assert main(["personas", "dryrun", "nobody", "--replies", str(replies)]) == 2
    assert "No persona 'nobody'" in capsys.readouterr().err
    missing = str(tmp_path / "missing.txt")
    assert main(["personas", "dryrun", "homework-pointless", "--replies", missing]) == 2
    assert "cannot read the replies file" in capsys.readouterr().err
    args = ["personas", "dryrun", "homework-pointless", "--replies", str(replies)]
    assert main([*args, "--principle", "initial-tension: 99"]) == 2
    assert "initial-tension takes a number from 4 to 10, not 99." in capsys.readouterr().err


# --- uploads in Telegram ------------------------------------------------------------------


async def upload(c: CohortRig, content: bytes, name: str = "my-daniel.yaml") -> list[str]:
    mark = c.r.tg.mark()
    await c.r.send(c.r.tg.document(TRAINER, content, name))
    return c.r.tg.texts_since(mark)


def confrontation_titles(c: CohortRig, user: int) -> list[str]:
    cards = c.last(user)
    return [row[0]["text"] for row in cards["reply_markup"]["inline_keyboard"]]


async def test_upload_preview_publish_reaches_only_the_trainers_cohorts(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        token = await c.new_cohort("Spring CBT")
        for user in (TRAINEE, OTHER_TRAINEE):
            await c.r.consent(user)
        await c.join(token, TRAINEE)

        texts = await upload(c, persona_yaml())
        assert texts[-5] == (
            "<b>Preview · Daniel, once more</b> (<code>my-daniel</code>)\n"
            + c.r.texts.cohorts.status_draft
        )
        assert texts[-4].startswith("<b>Daniel, once more</b>\nDaniel, 41 · CBT, session 6")
        assert texts[-3].startswith("<b>Daniel:</b> Honestly? I didn't do it")
        dry = texts[-2]
        assert dry.startswith(c.r.texts.cohorts.dryrun_title)
        assert "<b>1. You:</b> Let's get back to the worksheet" in dry
        assert "tension 7 → 9" in dry
        assert [b["text"] for b in c.last(TRAINER)["reply_markup"]["inline_keyboard"][0]] == [
            "▶ Try it",
            "📣 Publish",
            "📜 Prompt",
        ]
        assert c.r.rows("authored_personas") == 1
        assert not (PERSONAS / "my-daniel.yaml").exists()

        # A draft: the cohort's trainee does not see it yet.
        await c.r.say("/practice", TRAINEE)
        await c.tap("Confrontation", TRAINEE)
        assert "Daniel, once more · ★" not in confrontation_titles(c, TRAINEE)

        await c.tap("📣 Publish", TRAINER)
        assert c.last_text(TRAINER) == (
            "Published <b>Daniel, once more</b> to all your cohorts. "
            "Trainees there find it under 🎭 Practise."
        )
        await c.r.say("/practice", TRAINEE)
        await c.tap("Confrontation", TRAINEE)
        assert "Daniel, once more · ★" in confrontation_titles(c, TRAINEE)
        await c.tap("Daniel, once more · ★", TRAINEE)
        assert c.last_text(TRAINEE).startswith("<b>Daniel:</b> Honestly?")

        # Someone outside the cohort neither sees it nor can start it with a forged button.
        await c.r.say("/practice", OTHER_TRAINEE)
        await c.tap("Confrontation", OTHER_TRAINEE)
        assert "Daniel, once more · ★" not in confrontation_titles(c, OTHER_TRAINEE)
        mark = c.r.tg.mark()
        await c.r.send(c.r.tg.callback(OTHER_TRAINEE, "p:my-daniel", c.last(OTHER_TRAINEE)))
        alert = c.r.tg.since(mark, "answerCallbackQuery")[-1]
        assert alert.params["text"] == "There is no persona called 'my-daniel'."
        outsider = await c.r.trainee(OTHER_TRAINEE)
        assert await c.r.practice.active(outsider.id) is None

        # The prompt button shows the model's instructions, with the embedded template.
        mark = c.r.tg.mark()
        await c.tap("📜 Prompt", TRAINER)
        (doc,) = c.r.tg.since(mark, "sendDocument")
        assert (
            "Daniel checks his phone when he feels criticised."
            in doc.files["document"].content.decode()
        )


async def test_a_broken_persona_lists_every_problem_and_stores_nothing(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        broken = (
            persona_yaml()
            .replace(b"age: 41", b"age: 400")
            .replace(b"difficulty: 1", b"difficulty: 9")
            .replace(b"rupture_type: confrontation", b"rupture_type: angry")
        )
        texts = await upload(c, broken)
        report = texts[-1]
        assert report.startswith("<b>my-daniel.yaml</b> has 3 problem(s). Fix them and send")
        assert "• <code>patient.age</code>: Input should be less than or equal to 100" in report
        assert "• <code>difficulty</code>:" in report
        assert "• <code>rupture_type</code>: got 'angry'; expected one of" in report

        texts = await upload(c, persona_yaml("homework-pointless"), "homework-pointless.yaml")
        assert "shared library; choose another id" in texts[-1]
        texts = await upload(c, b"id: [unclosed", "x.yaml")
        assert "<code>(file)</code>: YAML syntax error at line 1" in texts[-1]
        assert c.r.rows("authored_personas") == 0

        # A trainee's YAML is not taken at all.
        await c.r.consent(TRAINEE)
        await c.r.send(c.r.tg.document(TRAINEE, persona_yaml(), "my-daniel.yaml"))
        assert c.last_text(TRAINEE) == c.r.texts.cohorts.upload_not_trainer


async def test_a_template_that_breaks_the_sandbox_is_refused(tmp_path: Path) -> None:
    escape = persona_yaml().replace(
        b"checks his phone", b"{{ ''.__class__.__mro__[1].__subclasses__() }}"
    )
    endless = persona_yaml().replace(
        b"checks his phone", b"{% for i in range(10**9) %}x{% endfor %}"
    )
    include = persona_yaml().replace(b'{% extends "base.j2" %}', b'{% extends "../../x.j2" %}')
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        texts = await upload(c, escape)
        assert (
            "<code>template</code>: uploaded/my-daniel.j2: sandbox violation: access to"
            in (texts[-1])
        )
        texts = await upload(c, endless)
        assert "sandbox violation" in texts[-1]
        texts = await upload(c, include)
        assert "may only extend" in texts[-1]
        assert c.r.rows("authored_personas") == 0


async def test_a_principle_is_stored_and_both_patients_follow_it(tmp_path: Path) -> None:
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        await upload(c, persona_yaml())
        await c.tap("▶ Try it", TRAINER)
        assert c.last_text(TRAINER).startswith("<b>Daniel:</b> Honestly?")

        await c.say("/principle she would not open up that fast", TRAINER)
        model_only = c.last_text(TRAINER)
        assert model_only.startswith(
            "Correction 1 saved for <b>Daniel, once more</b>: “she would not open up that fast”"
        )
        assert c.r.texts.cohorts.principle_model_only in model_only
        assert c.r.texts.cohorts.principle_pace_tip in model_only

        await c.say("/principle slower", TRAINER)
        assert "the scripted patient softens at most 1 tension point a turn" in c.last_text(TRAINER)
        assert c.r.rows("persona_principles") == 2
        await c.say("/principle initial-tension: 99", TRAINER)
        assert c.last_text(TRAINER) == "initial-tension takes a number from 4 to 10, not 99."
        assert c.r.rows("persona_principles") == 2

        # The scripted patient: a strong repair now softens by one point, not two.
        trainer = await c.r.trainee(TRAINER)
        await c.say(META, TRAINER)
        session = await c.r.practice.active(trainer.id)
        assert session is not None
        states = [t.state for t in session.turns if t.state is not None]
        assert isinstance(states[-1], PatientState)
        assert (states[0].tension, states[-1].tension) == (7, 6)

        # The model-played patient reads both corrections in its instructions.
        mark = c.r.tg.mark()
        await c.tap("📜 Prompt", TRAINER)
        (doc,) = c.r.tg.since(mark, "sendDocument")
        prompt = doc.files["document"].content.decode()
        assert "# Trainer's corrections (always follow these)" in prompt
        assert "- she would not open up that fast" in prompt
        assert "- Open up slowly" in prompt

        # Stored with the persona: a fresh library (a restart) still applies them.
        await c.cohorts.library.refresh()
        c.cohorts.library._entries.clear()
        await c.cohorts.library.refresh()
        persona = c.cohorts.library.persona("my-daniel")
        assert persona is not None
        assert persona.dynamics.max_softening_per_turn == 1


async def test_a_replica_that_has_not_seen_a_published_persona_yet_still_answers(
    tmp_path: Path,
) -> None:
    """Published through one replica, practised through another that loaded its personas
    before: the session's persona is read from the database, not refused."""
    async with cohort_rig(tmp_path) as c:
        await c.make_trainer()
        token = await c.new_cohort("Spring CBT")
        await c.r.consent(TRAINEE)
        await c.join(token, TRAINEE)
        await upload(c, persona_yaml())
        await c.tap("📣 Publish", TRAINER)
        await c.r.say("/practice", TRAINEE)
        await c.tap("Confrontation", TRAINEE)
        await c.tap("Daniel, once more · ★", TRAINEE)

        library = c.r.practice.persona_source
        assert isinstance(library, PersonaLibrary)
        other_replica = PersonaLibrary(library.store, library.renderer, library.templates_dir)
        assert other_replica.persona("my-daniel") is None  # it started before the publish
        c.r.practice.persona_source = other_replica

        mark = c.r.tg.mark()
        await c.r.say("I notice I went straight to the worksheet. What was that like?", TRAINEE)
        assert c.r.tg.texts_since(mark)[0].startswith("<b>Daniel:</b> ")
        assert other_replica.persona("my-daniel") is not None
