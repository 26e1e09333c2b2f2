"""Loading trainer-editable content files with errors that name file, field and fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

MAX_CONTENT_BYTES = 512 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file, phrased for the trainer who wrote it."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f" {self.field}:" if self.field else ""
        return f"{self.file}:{where} {self.message}"


class ContentError(Exception):
    """A content file that does not validate; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _explain(error: dict[str, object]) -> str:
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "invalid"))
    if kind == "missing":
        return "missing; this field is required"
    if kind == "extra_forbidden":
        return "unknown field; check the spelling or remove it"
    if kind == "enum":
        ctx = error.get("ctx")
        expected = ctx.get("expected", "") if isinstance(ctx, dict) else ""
        return f"got {error.get('input')!r}; expected one of {expected}"
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    return msg


def problems_from_validation(file: str, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = _explain(dict(err))
        field = _field_path(loc)
        # Model-level checks put the field at the start of the message ("lines.anger.low: ...").
        if not field and ": " in message and " " not in message.split(": ", 1)[0]:
            field, message = message.split(": ", 1)
        problems.append(Problem(file, field, message))
    return problems


def read_yaml(path: Path) -> object:
    """Parse a YAML file safely, turning syntax errors into a `ContentError`."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError([Problem(name, "", f"cannot read the file: {exc.strerror}")]) from exc
    return parse_yaml(name, raw)


def parse_yaml(name: str, raw: bytes) -> object:
    if len(raw) > MAX_CONTENT_BYTES:
        raise ContentError([Problem(name, "", f"file is larger than {MAX_CONTENT_BYTES} bytes")])
    try:
        return yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ContentError([Problem(name, "", "is not UTF-8 text; save it as UTF-8")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError([Problem(name, "", f"YAML syntax error at {where}{problem}")]) from exc


def validate_data(name: str, data: object, model: type[M]) -> M:
    if not isinstance(data, dict):
        raise ContentError([Problem(name, "", "expected a YAML mapping (key: value) at the top")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentError(problems_from_validation(name, exc)) from exc


def load_model(path: Path, model: type[M]) -> M:
    return validate_data(str(path), read_yaml(path), model)
