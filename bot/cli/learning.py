"""`content validate|list`: checking the curriculum files (modules, glossary) and safety.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.domain.content import ContentError, Problem, load_model
from bot.domain.safety import SafetyContent
from bot.learning.catalog import check_path, load_learning

SAFETY = "safety.yaml"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    content = sub.add_parser(
        "content", help="validate and list the learning modules (theory, drills, prompts)"
    )
    csub = content.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = csub.add_parser(
        "validate",
        help="check the curriculum and safety.yaml; exit 1 on any problem",
        description="Check module folders, module files (module.yaml, theory.md, drills.yaml, "
        "prompts.yaml), glossary.yaml and safety.yaml. Every problem names the file, the field "
        "and what to write instead; the exit code is 1 if there is any.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="folders or files to check (default: content/modules and content/safety.yaml)",
    )
    csub.add_parser("list", help="list the modules with their pages, drills and prompts")
    content.set_defaults(handler=run_content)


def run_content(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    modules_dir = settings.content_dir / "modules"
    if args.action == "list":
        catalog = load_learning(modules_dir)
        for problem in catalog.problems:
            print(f"warning: {problem}", file=sys.stderr)
        for module in catalog.modules.values():
            print(
                f"{module.id.value:14} {len(module.theory):2} pages  "
                f"{len(module.drills):2} drills  {len(module.prompts):2} prompts  {module.title}",
                file=out,
            )
        return 0
    paths: list[Path] = args.paths or [modules_dir, settings.content_dir / SAFETY]
    problems: list[Problem] = []
    valid = 0
    for path in paths:
        found = _check_safety(path) if path.name == SAFETY else check_path(path)
        problems.extend(found)
        if not found:
            valid += 1
            print(f"✓ {path}{_summary(path)}", file=out)
    for problem in problems:
        print(f"✗ {problem}", file=sys.stderr)
    print(f"{len(paths)} path(s) checked, {valid} valid, {len(problems)} problem(s).", file=out)
    return 1 if problems else 0


def _check_safety(path: Path) -> list[Problem]:
    try:
        load_model(path, SafetyContent)
    except ContentError as exc:
        return exc.problems
    return []


def _summary(path: Path) -> str:
    """ " (6 modules: 40 pages, 62 drills, 60 prompts)" for a curriculum folder, else ""."""
    if not (path.is_dir() and (path / "glossary.yaml").exists()):
        return ""
    catalog = load_learning(path)
    modules = catalog.modules.values()
    return (
        f" ({len(catalog.modules)} modules: {sum(len(m.theory) for m in modules)} pages, "
        f"{sum(len(m.drills) for m in modules)} drills, {sum(len(m.prompts) for m in modules)} "
        "prompts)"
    )
