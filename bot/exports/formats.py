"""The three export formats; each turns an `ExportDocument` into the bytes of one file.

Transcript text is always data: HTML goes through Jinja2 with autoescaping (the text
is never compiled as a template), Markdown escapes what would become markup, and the
PDF draws plain text with an embedded Unicode font (DejaVu, shipped with matplotlib).
"""

from __future__ import annotations

import base64
import logging
import re
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from jinja2 import Environment

from bot.exports.document import ExportDocument


class ExportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    MD = "md"


FORMATS = tuple(f.value for f in ExportFormat)
MEDIA_TYPES = {
    ExportFormat.HTML: "text/html",
    ExportFormat.PDF: "application/pdf",
    ExportFormat.MD: "text/markdown",
}

HTML_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ doc.title }} · {{ doc.trainee_label }}</title>
<style>
  body { font-family: "DejaVu Sans", Verdana, sans-serif; font-size: 22px; line-height: 1.45;
         max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #111; background: #fff; }
  h1 { font-size: 1.8em; margin-bottom: .1em; }
  .sub, .note { color: #444; }
  .situation { font-style: italic; border-left: 6px solid #999; padding-left: .8em; }
  .turn { margin: 1em 0; padding: .6em .9em; border-radius: 8px; break-inside: avoid; }
  .patient { background: #f2f2f2; }
  .trainee { background: #e8f0fb; border-left: 8px solid #1f4e79; }
  .who { font-weight: bold; }
  .note { font-size: .8em; margin: .2em 0 0 0; }
  .outcome { border-top: 3px solid #1f4e79; margin-top: 1.5em; }
  img { max-width: 100%; }
  @media print { body { font-size: 16pt; margin: 0; } .turn { border: 1px solid #ccc; } }
</style>
</head>
<body>
<h1>{{ doc.title }}</h1>
<p class="sub">{{ doc.subtitle }} · {{ doc.date }} · trainee: {{ doc.trainee_label }}</p>
<p class="situation">{{ doc.situation }}</p>
{% for turn in doc.turns %}
<div class="turn {{ 'trainee' if turn.is_trainee else 'patient' }}">
  <div class="who">{{ turn.speaker }}{% if turn.is_trainee %} ({{ turn.number }}){% endif %}</div>
  <div class="text">{{ turn.text }}</div>
  {% for note in turn.notes %}<p class="note">{{ note }}</p>{% endfor %}
</div>
{% endfor %}
{% if doc.outcome or chart %}
<div class="outcome">
  {% for line in doc.outcome %}<p>{{ line }}</p>{% endfor %}
  {% if chart %}
  <img alt="Tension over the session" src="data:image/png;base64,{{ chart }}">
  {% endif %}
</div>
{% endif %}
</body>
</html>
"""

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_HTML = _ENV.from_string(HTML_TEMPLATE)
_FONTS = "fonts/ttf"


def render_html(doc: ExportDocument) -> bytes:
    chart = base64.b64encode(doc.chart_png).decode("ascii") if doc.chart_png else None
    return _HTML.render(doc=doc, chart=chart).encode("utf-8")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def render_markdown(doc: ExportDocument, chart_name: str | None = None) -> bytes:
    """`chart_name`: the PNG file written next to the Markdown (None: no chart)."""
    lines = [
        f"# {_md(doc.title)}",
        "",
        f"*{_md(doc.subtitle)} · {doc.date} · trainee: {_md(doc.trainee_label)}*",
        "",
        f"> {_md(doc.situation)}",
        "",
    ]
    for turn in doc.turns:
        number = f" ({turn.number})" if turn.is_trainee else ""
        lines.append(f"**{_md(turn.speaker)}{number}:** {_md(turn.text)}")
        lines += [f"<br>_{_md(note)}_" for note in turn.notes]
        lines.append("")
    if doc.outcome:
        lines += ["---", "", *(f"- {_md(line)}" for line in doc.outcome), ""]
    if chart_name:
        lines += [f"![Tension over the session]({chart_name})", ""]
    return "\n".join(lines).encode("utf-8")


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / _FONTS


def render_pdf(doc: ExportDocument) -> bytes:
    """A4 landscape with large type, for a projector or a printout."""
    from fpdf import FPDF

    # fontTools logs the glyphs it keeps at INFO: that would spell out transcript letters.
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_margins(16, 14, 16)
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_title(f"{doc.title} · {doc.trainee_label}")
    pdf.set_creator("Rupture Coach")
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("DejaVu", "B", 24)
    pdf.multi_cell(width, 11, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 13)
    pdf.set_text_color(70, 70, 70)
    subtitle = f"{doc.subtitle} · {doc.date} · trainee: {doc.trainee_label}"
    pdf.multi_cell(width, 7, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "I", 13)
    pdf.multi_cell(width, 7, doc.situation, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    for turn in doc.turns:
        number = f" ({turn.number})" if turn.is_trainee else ""
        pdf.set_font("DejaVu", "B", 17)
        pdf.set_text_color(*((31, 78, 121) if turn.is_trainee else (0, 0, 0)))
        pdf.multi_cell(width, 9, f"{turn.speaker}{number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "", 17)
        pdf.multi_cell(width, 9, turn.text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 12)
        pdf.set_text_color(80, 80, 80)
        for note in turn.notes:
            pdf.multi_cell(width, 6.5, note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
    if doc.outcome:
        pdf.ln(2)
        pdf.set_font("DejaVu", "", 15)
        for line in doc.outcome:
            pdf.multi_cell(width, 8, line, new_x="LMARGIN", new_y="NEXT")
    if doc.chart_png:
        pdf.add_page()
        pdf.image(BytesIO(doc.chart_png), w=width)
    return bytes(pdf.output())


def render(doc: ExportDocument, fmt: ExportFormat, chart_name: str | None = None) -> bytes:
    if fmt is ExportFormat.HTML:
        return render_html(doc)
    if fmt is ExportFormat.PDF:
        return render_pdf(doc)
    return render_markdown(doc, chart_name)
