"""The dashboards' own number formatting writes what Babel writes, in both of the portal's languages."""
from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal, format_percent
from flask_babel import force_locale

from app.web.reports import figure_formatter

VALUES = [0, 1, -1, 0.5, 12.25, 999.9995, 1000, 1234.5, -98765.4321, 1234567.891, 0.0005, 0.0015, 2.5e-4,
          100.125, 10 ** 9 + 0.5]


@pytest.mark.parametrize("language", ["en", "de"])
def test_figures_and_percentages_as_babel_writes_them(app, language):
    rng = random.Random(4)
    values = VALUES + [round(rng.uniform(-1e7, 1e7), rng.randint(0, 4)) for _ in range(300)] + \
        [rng.randint(0, 10 ** 8) for _ in range(100)]
    ratios = [0, 1, 0.1525, 0.1535, 0.15, 0.00049, 0.99951, 1.5] + [round(rng.random(), 4) for _ in range(300)]
    with app.test_request_context(), force_locale(language):
        show = figure_formatter()
        for value in values:
            assert show(value, "appointments") == format_decimal(value, locale=language), value
        for ratio in ratios:
            assert show(ratio, "utilisation") == format_percent(ratio, "#0.0%", locale=language), ratio
        assert show(None, "utilisation") == "–"
