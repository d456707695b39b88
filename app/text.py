"""What a person may type into a field: no control characters and no bidi overrides (docs/security.md).

A CR or LF in a name or subject splits e-mail headers, SMS lines and CSV rows; NUL truncates in C libraries;
bidi override characters make "gpj.exe" read as "exe.jpg". Multi-line fields (notes, reasons) keep their line
breaks and tabs; single-line fields refuse them.
"""
from __future__ import annotations

import re

BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_SINGLE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f{BIDI}]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{BIDI}]")



def _mark(text: str) -> str:
    """For extraction only (`make messages`): forms translate the message when they show it."""
    return text


SINGLE_LINE_MESSAGE = _mark("Remove line breaks, control characters and text-direction marks.")
MULTI_LINE_MESSAGE = _mark("Remove control characters and text-direction marks.")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The reason `value` is refused, or None when it is fine."""
    if (_MULTI_LINE if multiline else _SINGLE_LINE).search(value):
        return MULTI_LINE_MESSAGE if multiline else SINGLE_LINE_MESSAGE
    return None
