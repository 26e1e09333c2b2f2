"""The domain core: personas, rubrics, patient state, evaluation and feedback.

Nothing here imports aiogram, openai or SQLAlchemy; transports and adapters
depend on this package, never the other way round.
"""
