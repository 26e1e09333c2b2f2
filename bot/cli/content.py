"""`personas list|validate|preview` and `rubrics validate`: checking content files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot.cli import dryrun as dryrun_cli
from bot.config import Settings
from bot.domain.catalog import load_catalog, load_persona, persona_files
from bot.domain.content import ContentError, Problem, load_model
from bot.domain.rubric import Rubric
from bot.domain.templates import PromptRenderer


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    personas = sub.add_parser("personas", help="list, validate and preview persona files")
    psub = personas.add_subparsers(dest="action", required=True, metavar="ACTION")
    psub.add_parser("list", help="list the personas (id, language, rupture, difficulty, title)")
    validate = psub.add_parser("validate", help="check persona files; exit 1 on any problem")
    validate.add_argument("paths", nargs="*", type=Path, help="files to check (default: all)")
    preview = psub.add_parser(
        "preview", help="print a persona's rendered system prompt and opening"
    )
    preview.add_argument("persona_id", metavar="ID")
    dryrun_cli.add_dryrun_parser(psub)
    personas.set_defaults(handler=run_personas)

    rubrics = sub.add_parser("rubrics", help="validate rubric files")
    rsub = rubrics.add_subparsers(dest="action", required=True, metavar="ACTION")
    rvalidate = rsub.add_parser("validate", help="check rubric files; exit 1 on any problem")
    rvalidate.add_argument("paths", nargs="*", type=Path, help="files to check (default: all)")
    rubrics.set_defaults(handler=run_rubrics)


def _report(problems: list[Problem], checked: int, out: TextIO, err: TextIO) -> int:
    for problem in problems:
        print(f"✗ {problem}", file=err)
    bad = len({p.file for p in problems})
    print(
        f"{checked} file(s) checked, {checked - bad} valid, {len(problems)} problem(s).", file=out
    )
    return 1 if problems else 0


def run_personas(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.action == "dryrun":
        return dryrun_cli.run_dryrun(args, settings, out)
    renderer = PromptRenderer(settings.personas_dir / "templates")
    if args.action == "validate":
        paths = args.paths or persona_files(settings.personas_dir)
        problems: list[Problem] = []
        for path in paths:
            try:
                load_persona(path, renderer)
            except ContentError as exc:
                problems.extend(exc.problems)
            else:
                print(f"✓ {path}", file=out)
        return _report(problems, len(paths), out, sys.stderr)
    catalog = load_catalog(settings.personas_dir, settings.rubrics_dir)
    for problem in catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.action == "list":
        for p in sorted(
            catalog.personas.values(), key=lambda p: (p.rupture_type, p.difficulty, p.id)
        ):
            print(
                f"{p.id:28} {p.language}  {p.rupture_type:13} {'★' * p.difficulty:3}  {p.title}",
                file=out,
            )
        return 0
    persona = catalog.persona(args.persona_id)
    if persona is None:
        print(f"No persona {args.persona_id!r}. Try: python -m bot personas list", file=sys.stderr)
        return 2
    print("=== system prompt ===", file=out)
    print(renderer.render_system(persona), file=out)
    print("=== opening ===", file=out)
    print(persona.opening, file=out)
    return 0


def run_rubrics(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    paths = args.paths or sorted(settings.rubrics_dir.glob("*.yaml"))
    problems: list[Problem] = []
    for path in paths:
        try:
            load_model(path, Rubric)
        except ContentError as exc:
            problems.extend(exc.problems)
        else:
            print(f"✓ {path}", file=out)
    return _report(problems, len(paths), out, sys.stderr)
