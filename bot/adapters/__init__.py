"""Adapters to outside model servers; `openai_llm` is the only module that imports openai."""

from bot.adapters.llm_judge import JudgeOutput, LLMJudge, build_judge_messages
from bot.adapters.llm_patient import LLMPatient, build_patient_messages
from bot.adapters.openai_llm import (
    LLMUnavailable,
    OpenAITranscriber,
    TranscriptionFailed,
    make_client,
)

__all__ = [
    "JudgeOutput",
    "LLMJudge",
    "LLMPatient",
    "LLMUnavailable",
    "OpenAITranscriber",
    "TranscriptionFailed",
    "build_judge_messages",
    "build_patient_messages",
    "make_client",
]
