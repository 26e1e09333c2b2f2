"""The persona and rubric catalogue: load, validate and look up content files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.content import ContentError, Problem, load_model, parse_yaml, validate_data
from bot.domain.persona import Persona
from bot.domain.rubric import Rubric
from bot.domain.templates import PromptRenderer, TemplateProblem


def check_persona(persona: Persona, name: str, renderer: PromptRenderer) -> list[Problem]:
    """Problems beyond the schema: the templates must render safely in the sandbox."""
    try:
        renderer.render_system(persona)
    except TemplateProblem as exc:
        return [Problem(name, "system_template", str(exc))]
    return []


def load_persona(path: Path, renderer: PromptRenderer) -> Persona:
    persona = load_model(path, Persona)
    problems = check_persona(persona, str(path), renderer)
    if persona.id != path.stem:
        problems.append(
            Problem(
                str(path),
                "id",
                f"is {persona.id!r} but the file is named {path.name}; "
                f"rename the file to {persona.id}.yaml or change the id",
            )
        )
    if problems:
        raise ContentError(problems)
    return persona


def parse_persona(name: str, raw: bytes, renderer: PromptRenderer) -> Persona:
    """Validate an uploaded persona (bytes) the same way as a file in the repo."""
    persona = validate_data(name, parse_yaml(name, raw), Persona)
    problems = check_persona(persona, name, renderer)
    if problems:
        raise ContentError(problems)
    return persona


@dataclass
class Catalog:
    personas: dict[str, Persona] = field(default_factory=dict)
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def persona(self, persona_id: str) -> Persona | None:
        return self.personas.get(persona_id)

    def rubric_for(self, language: str) -> Rubric:
        return self.rubrics.get(language) or self.rubrics["en"]


def persona_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))


def load_catalog(personas_dir: Path, rubrics_dir: Path) -> Catalog:
    """Load every persona and rubric; invalid files are reported, not fatal to the rest."""
    catalog = Catalog()
    renderer = PromptRenderer(personas_dir / "templates")
    for path in persona_files(personas_dir):
        try:
            persona = load_persona(path, renderer)
        except ContentError as exc:
            catalog.problems.extend(exc.problems)
            continue
        if persona.id in catalog.personas:
            catalog.problems.append(Problem(str(path), "id", f"{persona.id!r} is used twice"))
            continue
        catalog.personas[persona.id] = persona
    for path in sorted(rubrics_dir.glob("*.yaml")):
        try:
            rubric = load_model(path, Rubric)
        except ContentError as exc:
            catalog.problems.extend(exc.problems)
            continue
        catalog.rubrics[rubric.language] = rubric
    return catalog
