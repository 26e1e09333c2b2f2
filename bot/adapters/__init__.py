"""Adapters to outside model servers; `openai_llm` is the only module that imports openai.

Import only from `openai_llm` here: it re-exports the engines of `llm_patient` and
`llm_judge`, which import its helpers, so it must load first.
"""

from bot.adapters.openai_llm import (
    JudgeOutput,
    LLMJudge,
    LLMPatient,
    LLMUnavailable,
    OpenAITranscriber,
    TranscriptionFailed,
    build_judge_messages,
    build_patient_messages,
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
