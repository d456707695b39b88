"""Messages that can be said in the reader's language.

The core speaks English and knows no translation machinery. A `Text` is that English message as a plain string
(logs, the API and ``str(err)`` read it as before) that also keeps its template and values, so an entry point can
translate the template and fill in the same values (docs/architecture.md, "Words").
"""
from __future__ import annotations


class Text(str):
    """An English message built from a ``%(name)s`` template; ``template`` and ``params`` stay readable."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Text:
        """Format the template with the values now; keep both for a translation later."""
        made = super().__new__(cls, template % params if params else template)
        made.template, made.params = template, params
        return made


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday(number: int) -> Text:
    """The weekday's English name (Monday 0), translatable like any message."""
    return Text(WEEKDAYS[number])
