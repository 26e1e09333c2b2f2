"""`export SESSION_ID --format html|pdf|md`: an annotated transcript with the tension chart.

Pseudonymised unless `--real-names`: the trainee appears under their cohort
pseudonym (or "Trainee"); with `--real-names`, under their cohort display name.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.exports import FORMATS, ExportDocument, ExportFormat, build_document, render

PSEUDONYM = "Trainee"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="export a session as an annotated transcript (html, pdf or md)",
        description="Write one practice session as an annotated transcript with the tension "
        "chart, print-friendly (large type). The trainee is shown under a pseudonym unless "
        "--real-names is given. Markdown writes the chart as a PNG next to it.",
    )
    export.add_argument("session_id", metavar="SESSION_ID", type=int)
    export.add_argument("--format", dest="fmt", choices=FORMATS, default="pdf")
    export.add_argument(
        "--real-names", action="store_true", help="show the trainee's name, not a pseudonym"
    )
    export.add_argument(
        "--out", type=Path, help="output file (default: session-ID.FORMAT in this folder)"
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    fmt = ExportFormat(args.fmt)
    loaded = asyncio.run(_load(args, settings))
    if loaded is None:
        print(f"error: there is no session {args.session_id}.", file=sys.stderr)
        return 2
    document, label = loaded
    target: Path = args.out or Path(f"session-{args.session_id}.{fmt.value}")
    target.parent.mkdir(parents=True, exist_ok=True)
    chart_name = None
    if fmt is ExportFormat.MD and document.chart_png:
        chart = target.with_name(f"{target.stem}-tension.png")
        chart.write_bytes(document.chart_png)
        chart_name = chart.name
    content = render(document, fmt, chart_name)
    target.write_bytes(content)
    turns = sum(1 for t in document.turns if t.is_trainee)
    print(f"Wrote {target} ({len(content):,} bytes, {turns} replies, trainee: {label}).", file=out)
    return 0


async def _load(args: argparse.Namespace, settings: Settings) -> tuple[ExportDocument, str] | None:
    from bot.wiring import open_app

    async with open_app(settings, engine="scripted", judge="rules") as app:
        session = await app.store.get_session(args.session_id)
        if session is None:
            return None
        persona = app.practice.persona(session.persona_id)
        label = PSEUDONYM
        user = await app.store.get_user(session.user_id)
        memberships = []
        if app.cohorts is not None and user is not None:
            memberships = await app.cohorts.service.store.memberships(user.id)
        if args.real_names:
            if memberships:
                label = memberships[0].display_name
            elif user is not None:
                label = f"{user.channel} user {user.external_id}"
        elif memberships:
            label = memberships[0].pseudonym
        rubric = app.catalog.rubric_for(persona.language)
        document = await asyncio.to_thread(build_document, session, persona, rubric, label)
        return document, label
