"""Every refusal code of the core has words, and German ones: a German page never shows an English refusal.

The test lists the codes that lack a sentence in app.web.words.ERROR_MESSAGES or a German translation of it, and
fails when there is any; a new error class in app/scheduling/errors.py must bring both.
"""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from app.scheduling import errors
from app.web.words import ERROR_MESSAGES

PO = Path(__file__).resolve().parents[2] / "translations" / "de" / "LC_MESSAGES" / "messages.po"


def _codes(cls=errors.SchedulingError) -> set[str]:
    found = {cls.code}
    for sub in cls.__subclasses__():
        found |= _codes(sub)
    return found


def test_every_core_error_code_has_a_german_message():
    with PO.open("rb") as fh:
        catalogue = read_po(fh, locale="de")
    codes = _codes()
    assert len(codes) >= 19  # the walk finds the classes, so the check below cannot pass by finding none
    without_words = sorted(c for c in codes if c not in ERROR_MESSAGES)
    without_german = sorted(c for c in codes if c in ERROR_MESSAGES
                            and not (catalogue.get(str(ERROR_MESSAGES[c])) and
                                     catalogue.get(str(ERROR_MESSAGES[c])).string))
    assert without_words == [], f"codes without a message in app/web/words.py: {without_words}"
    assert without_german == [], f"codes whose message has no German translation: {without_german}"
