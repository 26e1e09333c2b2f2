"""The AFT curriculum: modules with theory, recognition drills and prompt exercises.

Plain typed Python over content files (no Telegram, SQL or model client here)::

    catalog = load_learning(settings.content_dir / "modules")
    service = LearningService(catalog, SqlLearningStore(engine), judge, crisis)
"""

from bot.learning.catalog import LearningCatalog, check_path, load_learning, validate_learning
from bot.learning.models import Drill, Module, ModuleId, Noticed, PromptExercise, QuizPoll
from bot.learning.reports import ModuleStatus, Progress, Suggestion, WeekSummary
from bot.learning.service import DrillResult, LearningError, LearningService, PromptResult
from bot.learning.store import LearningStore

__all__ = [
    "Drill",
    "DrillResult",
    "LearningCatalog",
    "LearningError",
    "LearningService",
    "LearningStore",
    "Module",
    "ModuleId",
    "ModuleStatus",
    "Noticed",
    "Progress",
    "PromptExercise",
    "PromptResult",
    "QuizPoll",
    "Suggestion",
    "WeekSummary",
    "check_path",
    "load_learning",
    "validate_learning",
]
