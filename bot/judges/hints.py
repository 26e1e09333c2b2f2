"""The rule judge's next-move suggestion: the domain's one policy (`bot.domain.next_move`)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.evaluation import RuptureMoment
from bot.domain.ids import RepairStrategy
from bot.domain.next_move import next_repair_move


def suggest_next_move(
    moment: RuptureMoment, moves_seen: Iterable[str] = (), pitfalls: Iterable[str] = ()
) -> RepairStrategy:
    """The move to suggest after the reply in `moment` (`pitfalls`: those it showed)."""
    return next_repair_move(moment.rupture, moment.marker, moves_seen, pitfalls)
