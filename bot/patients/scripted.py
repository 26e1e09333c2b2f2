"""The offline patient: picks the persona's scripted lines by stage and tension band.

Deterministic for a given session seed and turn, and it never repeats a line in a
session while an unused alternative remains, so a replay does not sound canned.
"""

from __future__ import annotations

import random

from bot.domain.engine import PatientReply, PatientTurnRequest
from bot.domain.ids import Speaker, TensionBand
from bot.domain.state import band_for, hardened

#: after a good repair move the patient answers a notch warmer than their tension alone says
WARMING = 2


class ScriptedPatient:
    name = "scripted"
    calls_model = False

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        return PatientReply(text=self.pick_line(request), engine=self.name)

    def pick_line(self, request: PatientTurnRequest) -> str:
        persona, state = request.persona, request.state
        used = {u.text for u in request.history if u.speaker is Speaker.PATIENT}
        rng = random.Random(f"{persona.id}:{request.seed}:{state.turn}")
        candidates: list[list[str]] = []
        pitfall = hardened(request.evaluation) if request.evaluation else None
        if pitfall is not None and pitfall in persona.reactions:
            candidates.append(persona.reactions[pitfall])
        stage_lines = persona.lines[state.stage]
        band = self.band(request)
        candidates.append(stage_lines[band])
        candidates.extend(stage_lines[other] for other in stage_lines if other is not band)
        for pool in candidates:
            fresh = [line for line in pool if line not in used]
            if fresh:
                return rng.choice(fresh)
        return rng.choice(stage_lines[band])

    @staticmethod
    def band(request: PatientTurnRequest) -> TensionBand:
        """The band to speak from: the patient's tension, warmed by a good move just made."""
        tension = request.state.tension
        if request.evaluation is not None and request.evaluation.rating >= 4:
            tension = max(0, tension - WARMING)
        return band_for(tension)
