"""The feedback page's style: messages wrap at the page's edge instead of running off it."""
from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from traitlets import Bool

# Output text (a check's message, the hint on its last lines) sits in <pre> blocks, which
# never wrap by default: a long line ran off the right edge, the hint with it.
WRAP = """
div.output_area pre, div.output_subarea pre {
  white-space: pre-wrap !important;
  word-break: normal;
  overflow-wrap: anywhere;
}
"""


class WrapMessages(CSSHTMLHeaderPreprocessor):
    """nbconvert's notebook and code styles (what ``CSSHTMLHeaderPreprocessor`` inlines), then ``WRAP``."""

    enabled = Bool(True, help="Whether the feedback gets these styles").tag(config=True)  # nbconvert's default: off

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        resources["inlining"]["css"].append(WRAP)
        return nb, resources
