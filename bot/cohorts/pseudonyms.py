"""Pseudonyms for shared transcripts: two neutral words, unique within a cohort.

A pseudonym hides who practised; it is drawn at random (not by join order, which the
trainer knows) and kept for the membership, so a group can follow one trainee's
progress across reviews without learning who they are.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

COLOURS = (
    "Amber", "Azure", "Coral", "Indigo", "Ivory", "Jade", "Lilac", "Olive", "Ochre",
    "Pearl", "Plum", "Rust", "Sage", "Sand", "Slate", "Teal",
)  # fmt: skip
ANIMALS = (
    "Badger", "Crane", "Dolphin", "Falcon", "Fox", "Hare", "Heron", "Ibis", "Lynx",
    "Marten", "Otter", "Owl", "Puffin", "Robin", "Seal", "Wren",
)  # fmt: skip


def new_pseudonym(taken: Collection[str]) -> str:
    """A pseudonym not in `taken` (256 pairs, then numbered)."""
    free = [f"{c} {a}" for c in COLOURS for a in ANIMALS if f"{c} {a}" not in taken]
    if free:
        return secrets.choice(free)
    number = len(taken) + 1
    while f"Trainee {number}" in taken:
        number += 1
    return f"Trainee {number}"
