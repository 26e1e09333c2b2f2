"""Loading the curriculum from `content/modules/`: one folder per module plus a glossary.

Layout (a trainer edits these; `python -m bot content validate` checks them)::

    content/modules/glossary.yaml          labels for canonical ids, default questions
    content/modules/<module id>/module.yaml    id, title, summary
    content/modules/<module id>/theory.md      pages, each starting with "## Title"
    content/modules/<module id>/drills.yaml    drills: [...]   (at least 10)
    content/modules/<module id>/prompts.yaml   prompts: [...]  (at least 10)

A broken module is reported and left out; the others still load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.domain.content import (
    ContentError,
    Problem,
    load_model,
    problems_from_validation,
    read_yaml,
)
from bot.learning.checks import check_drills, check_glossary, check_prompts, parse_theory
from bot.learning.models import (
    Drill,
    Glossary,
    Module,
    ModuleId,
    ModuleInfo,
    PromptExercise,
    TheoryPage,
)

GLOSSARY = "glossary.yaml"
MODULE_FILES = ("module.yaml", "theory.md", "drills.yaml", "prompts.yaml")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass
class LearningCatalog:
    """The modules that loaded, in the seed's order, with the problems of those that did not."""

    glossary: Glossary
    modules: dict[ModuleId, Module] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _drills: dict[str, tuple[Module, Drill]] = field(default_factory=dict, init=False, repr=False)
    _prompts: dict[str, tuple[Module, PromptExercise]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for module in self.modules.values():
            self._drills.update({d.id: (module, d) for d in module.drills})
            self._prompts.update({p.id: (module, p) for p in module.prompts})

    def module(self, module_id: str) -> Module | None:
        return self.modules.get(ModuleId(module_id)) if module_id in set(ModuleId) else None

    def drill(self, drill_id: str) -> tuple[Module, Drill] | None:
        return self._drills.get(drill_id)

    def prompt(self, prompt_id: str) -> tuple[Module, PromptExercise] | None:
        return self._prompts.get(prompt_id)

    def all_drills(self) -> Iterator[tuple[Module, Drill]]:
        for module in self.modules.values():
            for drill in module.drills:
                yield module, drill

    def all_prompts(self) -> Iterator[tuple[Module, PromptExercise]]:
        for module in self.modules.values():
            for prompt in module.prompts:
                yield module, prompt


def load_learning(directory: Path) -> LearningCatalog:
    """Load every module; a broken glossary raises `ContentError`, a broken module is skipped."""
    problems = _unknown_folders(directory)
    glossary = load_glossary(directory / GLOSSARY)
    modules: dict[ModuleId, Module] = {}
    drill_ids: dict[str, Path] = {}
    prompt_ids: dict[str, Path] = {}
    for module_id in ModuleId:
        folder = directory / module_id.value
        if not folder.is_dir():
            problems.append(
                Problem(
                    str(folder),
                    "",
                    f"module {module_id.value!r} is missing; add the folder with "
                    f"{', '.join(MODULE_FILES)}",
                )
            )
            continue
        try:
            module = load_module(folder)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        clashes = [
            *_clashes(folder / "drills.yaml", "drills", [d.id for d in module.drills], drill_ids),
            *_clashes(
                folder / "prompts.yaml", "prompts", [p.id for p in module.prompts], prompt_ids
            ),
        ]
        if clashes:
            problems.extend(clashes)
            continue
        modules[module_id] = module
    return LearningCatalog(glossary=glossary, modules=modules, problems=problems)


def validate_learning(directory: Path) -> list[Problem]:
    """Every problem in the curriculum folder (glossary and all modules)."""
    try:
        return load_learning(directory).problems
    except ContentError as exc:
        problems = list(exc.problems)
    for module_id in ModuleId:
        if (directory / module_id.value).is_dir():
            problems.extend(check_path(directory / module_id.value))
    return problems


def check_path(path: Path) -> list[Problem]:
    """Problems in one curriculum file, one module folder or the whole curriculum folder."""
    if path.is_dir():
        if (path / "module.yaml").exists():
            return _problems(lambda: load_module(path))
        if (path / GLOSSARY).exists():
            return validate_learning(path)
    loaders: dict[str, Callable[[], object]] = {
        GLOSSARY: lambda: load_glossary(path),
        "module.yaml": lambda: load_model(path, ModuleInfo),
        "theory.md": lambda: load_theory(path),
        "drills.yaml": lambda: load_drills(path),
        "prompts.yaml": lambda: load_prompts(path),
    }
    loader = loaders.get(path.name)
    if loader is None or not path.exists():
        what = "does not exist" if not path.exists() else "is not a curriculum file"
        return [
            Problem(
                str(path),
                "",
                f"{what}; give a module folder or one of {GLOSSARY}, {', '.join(MODULE_FILES)}",
            )
        ]
    return _problems(loader)


def load_module(folder: Path) -> Module:
    """Load and check the four files of one module; raises `ContentError` with every problem."""
    problems: list[Problem] = []
    info = _collect(problems, lambda: load_model(folder / "module.yaml", ModuleInfo))
    theory = _collect(problems, lambda: load_theory(folder / "theory.md"))
    drills = _collect(problems, lambda: load_drills(folder / "drills.yaml"))
    prompts = _collect(problems, lambda: load_prompts(folder / "prompts.yaml"))
    if info is not None and info.id.value != folder.name:
        problems.append(
            Problem(
                str(folder / "module.yaml"),
                "id",
                f"is {info.id.value!r} but the folder is named {folder.name!r}; "
                "rename the folder or change the id",
            )
        )
    if problems or info is None or theory is None or drills is None or prompts is None:
        raise ContentError(problems)
    return Module(
        id=info.id,
        title=info.title,
        summary=info.summary,
        theory=tuple(theory),
        drills=tuple(drills),
        prompts=tuple(prompts),
    )


def load_glossary(path: Path) -> Glossary:
    glossary = load_model(path, Glossary)
    problems = check_glossary(str(path), glossary)
    if problems:
        raise ContentError(problems)
    return glossary


def load_theory(path: Path) -> list[TheoryPage]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError([Problem(str(path), "", "is not UTF-8 text; save it as UTF-8")]) from exc
    except OSError as exc:
        raise ContentError(
            [Problem(str(path), "", f"cannot read the file: {exc.strerror}")]
        ) from exc
    pages, problems = parse_theory(str(path), text)
    if problems:
        raise ContentError(problems)
    return pages


def load_drills(path: Path) -> list[Drill]:
    drills, problems = _load_items(path, Drill, "drills")
    problems.extend(check_drills(str(path), drills))
    if problems:
        raise ContentError(problems)
    return [d for d in drills if d is not None]


def load_prompts(path: Path) -> list[PromptExercise]:
    prompts, problems = _load_items(path, PromptExercise, "prompts")
    problems.extend(check_prompts(str(path), prompts))
    if problems:
        raise ContentError(problems)
    return [p for p in prompts if p is not None]


def _load_items(path: Path, model: type[M], key: str) -> tuple[list[M | None], list[Problem]]:
    """Validate each item of a ``key: [...]`` file on its own, so one run reports them all.

    Items that fail come back as None (they still count); problems name the position and id.
    """
    name = str(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ContentError(
            [Problem(name, key, f"missing; the file needs a top-level '{key}:' list")]
        )
    problems = [
        Problem(name, str(extra), "unknown field; check the spelling or remove it")
        for extra in data
        if extra != key
    ]
    items: list[M | None] = []
    for index, raw in enumerate(data[key]):
        where = f"{key}[{index}]"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            where += f" ({raw['id']})"
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            items.append(None)
            problems.extend(
                Problem(name, f"{where}.{p.field}" if p.field else where, p.message)
                for p in problems_from_validation(name, exc)
            )
    return items, problems


def _collect(problems: list[Problem], load: Callable[[], T]) -> T | None:
    try:
        return load()
    except ContentError as exc:
        problems.extend(exc.problems)
        return None


def _problems(load: Callable[[], object]) -> list[Problem]:
    problems: list[Problem] = []
    _collect(problems, load)
    return problems


def _clashes(path: Path, key: str, ids: list[str], seen: dict[str, Path]) -> list[Problem]:
    problems = [
        Problem(
            str(path),
            f"{key}[{index}] ({item}).id",
            f"{item!r} is already used in {seen[item]}; ids must be unique across modules",
        )
        for index, item in enumerate(ids)
        if item in seen
    ]
    if not problems:
        seen.update(dict.fromkeys(ids, path))
    return problems


def _unknown_folders(directory: Path) -> list[Problem]:
    if not directory.is_dir():
        raise ContentError([Problem(str(directory), "", "is not a folder")])
    known = {m.value for m in ModuleId}
    return [
        Problem(
            str(child),
            "",
            f"is not a module; module folders are: {', '.join(sorted(known))}",
        )
        for child in sorted(directory.iterdir())
        if child.is_dir() and child.name not in known and not child.name.startswith((".", "_"))
    ]
