"""Judges that evaluate a trainee reply against the rubric (see `bot.domain.evaluation.Judge`)."""

from bot.judges.hints import suggest_next_move
from bot.judges.rules import RuleJudge, compose_feedback, rate

__all__ = ["RuleJudge", "compose_feedback", "rate", "suggest_next_move"]
