"""Annotated transcript exports (HTML, PDF, Markdown) with the tension chart.

Print-friendly (large type, for a projector in a group session) and pseudonymised
unless the session's owner asks for their name::

    document = build_document(session, persona, rubric, trainee_label="Teal Otter")
    html = render_html(document); pdf = render_pdf(document); md = render_markdown(document)
"""

from bot.exports.document import ExportDocument, build_document
from bot.exports.formats import FORMATS, ExportFormat, render

__all__ = ["FORMATS", "ExportDocument", "ExportFormat", "build_document", "render"]
