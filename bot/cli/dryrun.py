"""`personas dryrun ID --replies FILE`: play a persona against scripted trainee replies.

Prints the transcript with the state trace per turn (tension, stage, moves seen,
pitfalls), so a trainer sees whether the persona behaves as intended. ID is a
persona of the repo, one a trainer uploaded (from the database), or a YAML file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.authoring.dryrun import dry_run, trace_lines
from bot.authoring.library import PersonaLibrary
from bot.authoring.principles import PrincipleError, apply_principles, parse_principle
from bot.config import Settings
from bot.domain.catalog import load_catalog, load_persona
from bot.domain.persona import Persona
from bot.domain.templates import PromptRenderer
from bot.judges.rules import RuleJudge
from bot.patients.scripted import ScriptedPatient
from bot.wiring_errors import ConfigurationError


def add_dryrun_parser(psub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dryrun = psub.add_parser(
        "dryrun",
        help="play a persona against scripted trainee replies and print the state trace",
        description="Play the persona with the scripted patient and the rule-based judge "
        "against the trainee replies in FILE (one per line, or JSONL with a 'reply' field) "
        "and print the transcript with tension, stage, moves seen and pitfalls per turn.",
    )
    dryrun.add_argument("persona_id", metavar="ID", help="persona id, or a path to a YAML file")
    dryrun.add_argument("--replies", metavar="FILE", type=Path, required=True)
    dryrun.add_argument("--seed", type=int, default=1, help="scripted patient seed (default 1)")
    dryrun.add_argument(
        "--principle",
        action="append",
        default=[],
        metavar="TEXT",
        help="try a trainer's correction without storing it (repeatable)",
    )


def read_replies(path: Path) -> list[str]:
    """One reply per line; a line that is a JSON object uses its 'reply' or 'text' field."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the replies file {path}: {exc}") from None
    replies = []
    for number, line in enumerate(raw.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("{", '"')):
            try:
                data = json.loads(line)
            except ValueError:
                raise ConfigurationError(f"{path}:{number}: not valid JSON") from None
            value = data.get("reply", data.get("text")) if isinstance(data, dict) else data
            if not isinstance(value, str):
                raise ConfigurationError(f"{path}:{number}: expected a 'reply' text field")
            line = value
        replies.append(line)
    if not replies:
        raise ConfigurationError(f"{path} has no replies (one per line, or JSONL)")
    return replies


async def _from_database(settings: Settings, persona_id: str) -> Persona | None:
    from bot.storage import create_engine_for, upgrade_database
    from bot.storage.cohort_repository import SqlCohortStore

    await upgrade_database(settings.database_url)
    engine = create_engine_for(settings.database_url)
    try:
        renderer = PromptRenderer(settings.personas_dir / "templates")
        library = PersonaLibrary(
            SqlCohortStore(engine), renderer, settings.personas_dir / "templates"
        )
        return await library.reload(persona_id)
    finally:
        await engine.dispose()


def run_dryrun(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    replies = read_replies(args.replies)
    catalog = load_catalog(settings.personas_dir, settings.rubrics_dir)
    renderer = PromptRenderer(settings.personas_dir / "templates")
    candidate = Path(args.persona_id)
    persona: Persona | None
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        persona = load_persona(candidate, renderer)
    else:
        persona = catalog.persona(args.persona_id)
        if persona is None:
            persona = asyncio.run(_from_database(settings, args.persona_id))
    if persona is None:
        print(f"No persona {args.persona_id!r}. Try: python -m bot personas list", file=sys.stderr)
        return 2
    try:
        notes = [parse_principle(text) for text in args.principle]
    except PrincipleError as exc:
        print(f"error: --principle: {exc}", file=sys.stderr)
        return 2
    persona = apply_principles(persona, [n.text for n in notes])
    run = asyncio.run(
        dry_run(persona, replies, RuleJudge(catalog.rubrics), ScriptedPatient(), args.seed)
    )
    print(
        f"Dry run: {persona.id} ({persona.title}) · scripted patient · rule judge · "
        f"seed {args.seed}",
        file=out,
    )
    for note in notes:
        effect = note.scripted or "model-played patient only"
        print(f"Principle: {note.text} ({effect})", file=out)
    print(file=out)
    for line in trace_lines(run):
        print(line, file=out)
    return 0


__all__ = ["add_dryrun_parser", "read_replies", "run_dryrun"]
