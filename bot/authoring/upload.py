"""Validating a persona a trainer uploads: every problem listed, with the file, field and fix.

An uploaded persona is one YAML file. Its own prompt template, if it has one, is
embedded under ``template:`` (a block of Jinja2 that extends ``base.j2``); the
shared templates in ``personas/templates`` can be named with ``system_template:``
as in the repo. Templates are untrusted: they may extend only ``base.j2``, are
parsed and bounded before they run, and render only in the immutable sandbox, so a
template that reaches for Python internals or loops without end is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePath

from jinja2 import Environment, TemplateSyntaxError, meta

from bot.domain.catalog import check_persona
from bot.domain.content import ContentError, Problem, parse_yaml, validate_data
from bot.domain.persona import PERSONA_ID, Persona
from bot.domain.templates import BASE_TEMPLATE, PromptRenderer

TEMPLATE_KEY = "template"
MAX_TEMPLATE_CHARS = 20_000
SUFFIXES = (".yaml", ".yml")


def template_name(persona_id: str) -> str:
    """Where an uploaded template lives in the renderer (never a shared file's name)."""
    return f"uploaded/{persona_id}.j2"


@dataclass(frozen=True)
class UploadedPersona:
    persona: Persona
    filename: str
    yaml_text: str
    template_source: str | None


def clean_filename(filename: str | None) -> str:
    name = PurePath(filename or "persona.yaml").name
    return name[:200] or "persona.yaml"


def template_problems(file: str, source: str) -> list[Problem]:
    """Syntax, size and references of an embedded template, before anything runs."""
    if len(source) > MAX_TEMPLATE_CHARS:
        return [
            Problem(
                file,
                TEMPLATE_KEY,
                f"is {len(source)} characters; keep it under {MAX_TEMPLATE_CHARS}",
            )
        ]
    try:
        ast = Environment(autoescape=True).parse(source)  # parsing only; nothing is rendered
    except TemplateSyntaxError as exc:
        return [Problem(file, TEMPLATE_KEY, f"line {exc.lineno}: {exc.message}")]
    problems = []
    if not source.lstrip().startswith("{%") or "extends" not in source.split("%}", 1)[0]:
        problems.append(
            Problem(
                file,
                TEMPLATE_KEY,
                f'must start with {{% extends "{BASE_TEMPLATE}" %}} and override blocks of it',
            )
        )
    for name in meta.find_referenced_templates(ast):
        if name != BASE_TEMPLATE:
            shown = "a computed name" if name is None else repr(name)
            problems.append(
                Problem(
                    file,
                    TEMPLATE_KEY,
                    f"refers to {shown}; an uploaded template may only extend "
                    f'"{BASE_TEMPLATE}" (no include or import)',
                )
            )
    return problems


def validate_upload(
    filename: str | None,
    raw: bytes,
    templates_dir: Path,
    reserved_ids: Collection[str] = (),
) -> UploadedPersona:
    """The persona in `raw`, or `ContentError` listing every problem found."""
    name = clean_filename(filename)
    if not name.lower().endswith(SUFFIXES):
        raise ContentError(
            [Problem(name, "", "send the persona as a .yaml file (a copy of one in personas/)")]
        )
    data = parse_yaml(name, raw)
    if not isinstance(data, dict):
        raise ContentError([Problem(name, "", "expected a YAML mapping (key: value) at the top")])
    problems: list[Problem] = []
    source = data.pop(TEMPLATE_KEY, None)
    persona_id = data.get("id")
    if source is not None:
        if not isinstance(source, str) or not source.strip():
            problems.append(
                Problem(name, TEMPLATE_KEY, "must be a block of text (write `template: |`)")
            )
            source = None
        elif data.get("system_template"):
            problems.append(
                Problem(
                    name,
                    "system_template",
                    f"use either system_template (a shared template) or {TEMPLATE_KEY} "
                    "(your own, embedded), not both",
                )
            )
        else:
            problems.extend(template_problems(name, source))
            if isinstance(persona_id, str) and PERSONA_ID.match(persona_id):
                data["system_template"] = template_name(persona_id)
    try:
        persona = validate_data(name, data, Persona)
    except ContentError as exc:
        raise ContentError([*exc.problems, *problems]) from exc
    if persona.id in reserved_ids:
        problems.append(
            Problem(
                name,
                "id",
                f"{persona.id!r} is a persona of the shared library; choose another id",
            )
        )
    if persona.system_template and persona.system_template != template_name(persona.id):
        shared = templates_dir / persona.system_template
        if (
            PurePath(persona.system_template).name != persona.system_template
            or not shared.is_file()
        ):
            problems.append(
                Problem(
                    name,
                    "system_template",
                    f"{persona.system_template!r} is not a shared template; embed your own "
                    f"under {TEMPLATE_KEY}: instead",
                )
            )
    if problems:
        raise ContentError(problems)
    extra = {template_name(persona.id): source} if source else None
    problems = check_persona(persona, name, PromptRenderer(templates_dir, extra=extra))
    if source:
        problems = [Problem(p.file, TEMPLATE_KEY, p.message) for p in problems]
    if problems:
        raise ContentError(problems)
    return UploadedPersona(persona, name, raw.decode("utf-8"), source)
