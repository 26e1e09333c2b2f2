"""What the learning screens remember between updates, in aiogram's FSM storage.

- The open drill (its id, the message showing it, and which question it is at), so a
  stale or doubled tap cannot score a drill twice.
- The prompt awaiting an answer, as the `LearnFlow.prompt` state: while it is set, the
  trainee's next text message answers the prompt instead of going to a role-play patient.

With `REDIS_URL` this lives in Redis (shared by replicas and kept across restarts).
"""

from __future__ import annotations

from typing import Literal

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from pydantic import BaseModel, ConfigDict, ValidationError

DRILL_KEY = "learn_drill"
PROMPT_KEY = "learn_prompt"


class LearnFlow(StatesGroup):
    prompt = State()


class OpenDrill(BaseModel):
    model_config = ConfigDict(frozen=True)

    drill: str
    message: int
    stage: Literal["noticed", "detail"] = "noticed"


class OpenPrompt(BaseModel):
    """`session` is the role-play that was running when the prompt opened (it stays open)."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    message: int
    session: int | None = None


async def open_drill(state: FSMContext) -> OpenDrill | None:
    raw = (await state.get_data()).get(DRILL_KEY)
    try:
        return OpenDrill.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


async def set_open_drill(state: FSMContext, drill: OpenDrill | None) -> None:
    await state.update_data({DRILL_KEY: drill.model_dump() if drill is not None else None})


async def open_prompt(state: FSMContext) -> OpenPrompt | None:
    if await state.get_state() != LearnFlow.prompt.state:
        return None
    raw = (await state.get_data()).get(PROMPT_KEY)
    try:
        return OpenPrompt.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


async def await_prompt(state: FSMContext, prompt: OpenPrompt) -> None:
    await state.set_state(LearnFlow.prompt)
    await state.update_data({PROMPT_KEY: prompt.model_dump()})


async def close_prompt(state: FSMContext) -> None:
    if await state.get_state() == LearnFlow.prompt.state:
        await state.set_state(None)
    await state.update_data({PROMPT_KEY: None})
