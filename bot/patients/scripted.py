"""The offline patient: picks the persona's scripted lines by stage and tension band.

Deterministic for a given session seed and turn, and it never repeats a line in a
session while an unused alternative remains, so a replay does not sound canned.
"""

from __future__ import annotations

import random

from bot.domain.engine import PatientReply, PatientTurnRequest
from bot.domain.ids import Speaker
from bot.domain.state import hardened


class ScriptedPatient:
    name = "scripted"

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        return PatientReply(text=self.pick_line(request), engine=self.name)

    def pick_line(self, request: PatientTurnRequest) -> str:
        persona, state = request.persona, request.state
        used = set(request.used_lines) | {
            u.text for u in request.history if u.speaker is Speaker.PATIENT
        }
        rng = random.Random(f"{persona.id}:{request.seed}:{state.turn}")
        candidates: list[list[str]] = []
        pitfall = hardened(request.evaluation) if request.evaluation else None
        if pitfall is not None and pitfall in persona.reactions:
            candidates.append(persona.reactions[pitfall])
        stage_lines = persona.lines[state.stage]
        candidates.append(stage_lines[state.band])
        candidates.extend(stage_lines[band] for band in stage_lines if band is not state.band)
        for pool in candidates:
            fresh = [line for line in pool if line not in used]
            if fresh:
                return rng.choice(fresh)
        return rng.choice(stage_lines[state.band])
