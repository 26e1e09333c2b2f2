"""Render persona prompt templates in Jinja2's immutable sandbox.

Persona templates are untrusted input. They run in `ImmutableSandboxedEnvironment`
with `StrictUndefined`, see only plain data (never Python objects of ours), and
are bounded: `range` is capped, string/list multiplication and powers that would
blow up are refused, loops may nest at most twice and the output is size-capped.
Trainee text is only ever passed *into* a template as data, never compiled.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    DictLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    nodes,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.domain.persona import Persona

BASE_TEMPLATE = "base.j2"
MAX_RANGE = 1000
MAX_SEQUENCE = 20_000
MAX_OUTPUT = 40_000
MAX_LOOP_DEPTH = 2


class TemplateProblem(ValueError):
    """A persona template that cannot be rendered safely; the message says why."""


def _capped_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(f"range() of {len(result)} items exceeds the limit of {MAX_RANGE}")
    return result


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus limits on the cheap ways to exhaust memory or time."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int) and abs(right) > 64:
                raise SecurityError("exponent too large in template")
            return left**right
        for seq, count in ((left, right), (right, left)):
            too_big = isinstance(seq, str | list | tuple) and isinstance(count, int)
            if too_big and len(seq) * count > MAX_SEQUENCE:
                raise SecurityError("repetition too large in template")
        return left * right


def _loop_depth(node: nodes.Node, depth: int = 0) -> int:
    here = depth + 1 if isinstance(node, nodes.For) else depth
    return max([here, *(_loop_depth(child, here) for child in node.iter_child_nodes())])


class PromptRenderer:
    """Renders a persona's system prompt from the shared base and its own template."""

    def __init__(self, templates_dir: Path, extra: Mapping[str, str] | None = None) -> None:
        self._extra: dict[str, str] = dict(extra or {})
        loaders: list[BaseLoader] = [DictLoader(self._extra), FileSystemLoader(str(templates_dir))]
        self._env = BoundedSandbox(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.globals["range"] = _capped_range
        self._checked_templates: weakref.WeakSet[Template] = weakref.WeakSet()
        #: persona id -> (that persona object, the template versions used, its prompt)
        self._rendered: dict[str, tuple[Persona, tuple[Template, ...], str]] = {}

    def add_template(self, name: str, source: str) -> None:
        """Register (or replace) an in-memory template, e.g. one a trainer uploaded."""
        self._extra[name] = source
        if self._env.cache is not None:  # a cached file template of that name is stale now
            self._env.cache.clear()

    def check_source(self, name: str) -> None:
        """Parse a template and refuse shapes the limits cannot bound (deep loops)."""
        loader = self._env.loader
        assert loader is not None
        source, _, _ = loader.get_source(self._env, name)
        ast = self._env.parse(source, name=name)
        if _loop_depth(ast) > MAX_LOOP_DEPTH:
            raise TemplateProblem(f"{name}: loops nest deeper than {MAX_LOOP_DEPTH} levels")

    def _checked(self, name: str) -> Template:
        """The compiled template, its source checked once per version of it."""
        template = self._env.get_template(name)  # Jinja recompiles it when its source changed
        if template not in self._checked_templates:
            self.check_source(name)
            self._checked_templates.add(template)
        return template

    def render_system(self, persona: Persona) -> str:
        """The persona's system prompt: stable for a session, so providers can cache it.

        It is rendered once per persona and template version, not on every turn
        (parsing and rendering in the sandbox took ~20 ms a turn in the benchmark).
        """
        name = persona.system_template or BASE_TEMPLATE
        try:
            templates = tuple(self._checked(n) for n in dict.fromkeys((name, BASE_TEMPLATE)))
            cached = self._rendered.get(persona.id)
            if cached is not None and cached[0] is persona and cached[1] == templates:
                return cached[2]
            text = templates[0].render(persona_context(persona))
        except SecurityError as exc:
            raise TemplateProblem(f"{name}: sandbox violation: {exc}") from exc
        except TemplateError as exc:
            lineno = getattr(exc, "lineno", None)
            where = f" (line {lineno})" if lineno else ""
            raise TemplateProblem(f"{name}{where}: {exc.message or exc}") from exc
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise TemplateProblem(f"{name}: cannot render: {exc}") from exc
        if len(text) > MAX_OUTPUT:
            raise TemplateProblem(
                f"{name}: rendered prompt is {len(text)} characters, over {MAX_OUTPUT}"
            )
        prompt = text.strip() + "\n"
        self._rendered[persona.id] = (persona, templates, prompt)
        return prompt


def persona_context(persona: Persona) -> dict[str, Any]:
    """Plain data a template may use: the persona as JSON-like dicts and lists."""
    data = persona.model_dump(mode="json")
    data["stage_sequence"] = [str(s) for s in persona.stage_sequence]
    return {"persona": data, "patient": data["patient"]}
