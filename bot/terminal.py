"""Terminal practice: the whole loop on one screen, driven through stdin/stdout.

The same `PracticeService` as the Telegram bot; only input and output differ.
"""

from __future__ import annotations

from typing import TextIO

from bot.domain.persona import Persona
from bot.domain.state import PatientState
from bot.practice.report import feedback_text
from bot.practice.service import PracticeError, PracticeService, TurnOutcome

COMMANDS = "Commands: /hint for a nudge, /end to finish and get feedback, /help for this list."


class TerminalPractice:
    def __init__(
        self,
        practice: PracticeService,
        user_id: int,
        inp: TextIO,
        out: TextIO,
        *,
        show_state: bool = False,
    ) -> None:
        self.practice = practice
        self.user_id = user_id
        self.inp = inp
        self.out = out
        self.show_state = show_state

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def ask(self, prompt: str) -> str | None:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        return None if line == "" else line.rstrip("\n")

    async def run(self, persona_id: str | None, seed: int | None) -> int:
        persona = await self._resume_or_choose(persona_id, seed)
        if persona is None:
            return 0
        return await self._loop(persona)

    async def _resume_or_choose(self, persona_id: str | None, seed: int | None) -> Persona | None:
        active = await self.practice.active(self.user_id)
        if active is not None and persona_id is None:
            persona = await self.practice.persona_of(active)
            turns = sum(1 for t in active.turns if t.speaker == "trainee")
            answer = self.ask(
                f"You have an unfinished session with {persona.patient.name} "
                f"({persona.title}, {turns} replies so far). Continue it? [Y/n] "
            )
            if answer is None:
                return None
            if answer.strip().lower() in ("", "y", "yes", "j", "ja"):
                self._header(persona)
                for line in await self.practice.resume(self.user_id):
                    self._patient(persona, line)
                active = await self.practice.active(self.user_id)
                if active is not None:
                    self._patient(persona, active.turns[-1].text)
                return persona
        if persona_id is None:
            persona_id = self._choose()
            if persona_id is None:
                return None
        try:
            view = await self.practice.start(self.user_id, persona_id, seed)
        except PracticeError as exc:
            self.say(str(exc))
            return None
        self._header(view.persona)
        self._patient(view.persona, view.patient_line)
        self._state(view.state)
        return view.persona

    def _choose(self) -> str | None:
        personas = self.practice.personas()
        self.say("Who would you like to practise with?")
        for number, p in enumerate(personas, start=1):
            self.say(
                f"  {number:>2}. [{p.rupture_type}, {'★' * p.difficulty}] {p.title} — {p.summary}"
            )
        while True:
            answer = self.ask("Number or id (empty to quit): ")
            if answer is None or not answer.strip():
                return None
            answer = answer.strip()
            if answer.isdigit() and 1 <= int(answer) <= len(personas):
                return personas[int(answer) - 1].id
            if self.practice.catalog.persona(answer):
                return answer
            self.say(f"There is no persona {answer!r}; type a number from 1 to {len(personas)}.")

    def _header(self, persona: Persona) -> None:
        p = persona.patient
        self.say(f"\n=== {persona.title} ===")
        self.say(f"{p.name}, {p.age} · {p.modality}, session {p.session_number}")
        self.say(persona.situation)
        self.say(f"\n{COMMANDS}\n")

    def _patient(self, persona: Persona, line: str) -> None:
        self.say(f"{persona.patient.name}: {line}")

    def _state(self, state: PatientState | None) -> None:
        if self.show_state and state is not None:
            bar = "▮" * state.tension + "▯" * (10 - state.tension)
            self.say(f"  [tension {bar} {state.tension}/10 · {state.stage}]")

    async def _loop(self, persona: Persona) -> int:
        while True:
            text = self.ask("You: ")
            if text is None or text.strip() == "/end":
                await self._end(persona)
                return 0
            command = text.strip().lower()
            if command == "/help":
                self.say(COMMANDS)
                continue
            if command == "/hint":
                self.say(f"💡 {await self.practice.hint(self.user_id)}")
                continue
            try:
                outcome = await self.practice.reply(self.user_id, text)
            except PracticeError as exc:
                self.say(str(exc))
                continue
            if self._show(persona, outcome):
                return 0

    def _show(self, persona: Persona, outcome: TurnOutcome) -> bool:
        """Print one turn's result; True when the session has ended."""
        if outcome.crisis_message:
            self.say(outcome.crisis_message)
            return False
        for line in outcome.recovered_lines:
            self._patient(persona, line)
        if outcome.patient_line:
            self._patient(persona, outcome.patient_line)
        self._state(outcome.state)
        if outcome.feedback is not None:
            rubric = self.practice.catalog.rubric_for(persona.language)
            self.say(f"\n— session ended ({outcome.end_reason}) —\n")
            self.say(feedback_text(outcome.feedback, rubric))
            return True
        return False

    async def _end(self, persona: Persona) -> None:
        try:
            feedback = await self.practice.end(self.user_id)
        except PracticeError:
            return
        self.say("\n— session ended —\n")
        self.say(feedback_text(feedback, self.practice.catalog.rubric_for(persona.language)))
