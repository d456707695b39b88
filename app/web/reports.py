"""The report pages the admin and doctor blueprints share (docs/reports.md): the period form, the dashboard's tables
and charts, the CSV downloads and the monthly statement as a PDF (fpdf2)."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    NumberPattern,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)
from flask import Response, abort, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Optional, Regexp

from app import scheduling as core
from app.forms import SafeForm
from app.models.base import utcnow
from app.scheduling.stats import check_period
from app.services.reports import dashboard
from app.services.reports.earnings import Statement
from app.services.reports.policy import ReportScope, report_scope
from app.web.words import REPORT_COLUMNS, error_text, status_label, type_name

DEFAULT_WEEKS = 12
TABLES = ("trend", "compare", "access")
RATIOS = {"utilisation", "no_show_rate", "refill_share"}


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class PeriodForm(SafeForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("To"), validators=[Optional()])
    by = SelectField(_l("Trend by"), choices=[("week", _l("week")), ("month", _l("month"))], default="week")
    hospital = SelectField(_l("Hospital"), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Show"))

    def period(self) -> tuple[date, date] | None:
        """The chosen days (the last twelve weeks up to yesterday by default); None with the error on the form."""
        yesterday = utcnow().date() - timedelta(days=1)
        last = self.last.data or yesterday
        first = self.first.data or last - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
        try:
            check_period(first, last, utcnow().date())
        except core.PeriodInvalid as err:
            (self.first if err.field == "from" else self.last).errors = [error_text(err)]
            return None
        return first, last


class MonthForm(SafeForm):
    class Meta:
        csrf = False

    month = StringField(_l("Month"), validators=[Optional(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                                   message=_l("Give the month as YYYY-MM."))],
                        render_kw={"type": "month"})
    submit = SubmitField(_l("Show"))

    def chosen(self) -> date | None:
        """The month asked for (the last complete one by default); None when it is malformed or in the future."""
        this_month = utcnow().date().replace(day=1)
        if not self.validate():
            return None
        if not self.month.data:
            return (this_month - timedelta(days=1)).replace(day=1)
        year, month = (int(part) for part in self.month.data.split("-"))
        chosen = date(year, month, 1)
        if chosen > this_month:
            self.month.errors = [_("The period reaches into the future.")]
            return None
        return chosen


def scope_or_404(user, doctor=None, hospital_id: int | None = None) -> ReportScope:
    scope = report_scope(user, doctor, hospital_id)
    if scope is None:
        abort(404)
    return scope


@lru_cache(maxsize=64)
def _number_formats(locale: str) -> tuple[Locale, NumberPattern, NumberPattern]:
    """The locale's decimal pattern and the percentage pattern, parsed once."""
    parsed = Locale.parse(locale)
    return parsed, parsed.decimal_formats[None], parse_pattern("#0.0%")


@lru_cache(maxsize=64)
def _symbols(locale: str) -> tuple[str, str, str, str]:
    symbols = Locale.parse(locale).number_symbols
    percent = symbols.get("latn", symbols).get("percentSign", "%")  # by numbering system since Babel 2.14
    return get_decimal_symbol(locale), get_group_symbol(locale), get_minus_sign_symbol(locale), percent


def _digits(value, places: int, fixed: bool, group: str, symbols: tuple[str, str, str, str]) -> str:
    """``value`` rounded half-even to ``places`` decimals (trailing zeros dropped unless ``fixed``), the integer
    part grouped by thousands with ``group`` (empty: none), as Babel writes "#,##0.###" and "#0.0"."""
    decimal_symbol, _group, minus, _percent = symbols
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    if not fixed:
        fraction = fraction.rstrip("0")
    if group and len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = group.join([whole[:head], *(whole[i:i + 3] for i in range(head, len(whole), 3))])
    sign = minus if rounded < 0 else ""
    return sign + whole + (decimal_symbol + fraction if fraction else "")


def figure_formatter() -> Callable[[object, str], str]:
    """``show(value, column)`` for this request's locale: ratios as percentages, None as a dash.

    A year's region dashboard shows some two thousand figures; Babel's own formatting costs a quarter of a
    millisecond each (it looks the locale's symbols up every time), so the symbols are looked up once and the
    digits written here, for the patterns the portal's locales use (tests/unit/test_report_figures.py compares
    both). Another pattern falls back to Babel."""
    name = str(get_locale())
    locale, decimal, percent = _number_formats(name)
    symbols = _symbols(name)
    simple = decimal.pattern == "#,##0.###" and decimal.grouping == (3, 3)

    def show(value, column: str) -> str:
        if value is None:
            return "–"
        if column in RATIOS:
            return _digits(value * 100 if isinstance(value, Decimal) else Decimal(str(value)) * 100, 1, True, "",
                           symbols) + symbols[3]
        if simple and isinstance(value, int):  # the counts: no rounding to do
            return (symbols[2] if value < 0 else "") + f"{abs(value):,}".replace(",", symbols[1])
        if simple:
            return _digits(value, 3, False, symbols[1], symbols)
        return decimal.apply(value, locale)

    return show


def dashboard_page(user, template: str, title: str, endpoint: str, doctor=None, **extra):
    """The dashboard, or one of its tables as CSV when ``format=csv&table=...`` is asked for."""
    form = PeriodForm(request.args)
    wide = report_scope(user, doctor)
    if wide is None:
        abort(404)
    form.hospital.choices = [(None, _("All my hospitals") if wide.hospital_ids is not None else _("The region")),
                             *dashboard.hospitals_in(wide)]
    hospital_id = optional_int(request.args.get("hospital"))
    scope = scope_or_404(user, doctor, hospital_id)
    period = form.period() if form.validate() else None
    tables = {}
    if period is not None:
        first, last = period
        by = form.by.data if form.by.data in ("week", "month") else "week"
        kind, compared = dashboard.comparison(scope, first, last)
        tables = {"trend": dashboard.trend(scope, first, last, by), "compare": compared,
                  "access": dashboard.access(scope, first, last)}
        if request.args.get("format") == "csv":
            table = request.args.get("table")
            if table not in TABLES:
                abort(404)
            return csv_response(tables[table], f"{table}-{first}-{last}.csv",
                                ("third_next_days", "days_without") if table == "access" else dashboard.COLUMNS)
        extra.update(compare_kind=kind, first=first, last=last)
    status = 200 if period is not None else 422
    return render_template(template, form=form, tables=tables, groups=dashboard.GROUPS,
                           labels={name: str(label) for name, label in REPORT_COLUMNS.items()},  # translated once
                           show=figure_formatter(), chart_data=chart_data, title=title, endpoint=endpoint,
                           doctor=doctor, **extra), status


def csv_response(rows: list[dashboard.Row], filename: str, columns) -> Response:
    """The table's raw figures (ratios as fractions, no formatting) for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["label", *columns])
    for row in rows:
        writer.writerow([_cell(row.label), *("" if row.values[c] is None else row.values[c] for c in columns)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _cell(text: str) -> str:
    """A name a spreadsheet would run as a formula ("=HYPERLINK(...)") is written as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def chart_data(rows: list[dashboard.Row], series: tuple[str, ...]) -> dict:
    """What static/js/reports.js draws: labels and one list per series (ratios in percent)."""
    def point(value, column):
        if value is None:
            return None
        return round(value * 100, 1) if column in RATIOS else value
    return {"labels": [r.label for r in rows],
            "series": [{"label": str(REPORT_COLUMNS[c]), "data": [point(r.values[c], c) for r in rows]}
                       for c in series]}


# --- the monthly statement ---

def _latin1(text: str) -> str:
    """The PDF's built-in Helvetica covers Latin-1 (German included); anything else becomes "?" rather than fail."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _plain_money(amount: Decimal, currency: str) -> str:
    # "€" is outside Latin-1: the PDF names the currency by its code
    return f"{amount:,.2f} {currency}"


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a one-table PDF: earned fees per hospital and type, totals per currency, then the missed."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(_("Monthly statement")))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(_("Monthly statement")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 7, _latin1(f"{statement.doctor.name} - {format_date(statement.month, 'MMMM yyyy')}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=10)
    with pdf.table(col_widths=(50, 50, 25, 35), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT")) as table:
        table.row([_latin1(_("Hospital")), _latin1(_("Appointment type")), _latin1(_("Completed")),
                   _latin1(_("Fees"))])
        for line in statement.lines:
            table.row([_latin1(line.hospital), _latin1(type_name(line.appointment_type, line.hospital_id)),
                       str(line.count), _plain_money(line.total, line.currency)])
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    for currency, total in statement.totals.items():
        pdf.cell(0, 7, _latin1(f"{_('Total')}: {_plain_money(total, currency)}"), new_x="LMARGIN", new_y="NEXT")
    if statement.missed:
        pdf.ln(3)
        pdf.cell(0, 7, _latin1(_("No-shows and cancellations (not paid)")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        with pdf.table(col_widths=(30, 50, 45, 35), text_align=("LEFT", "LEFT", "LEFT", "RIGHT")) as table:
            table.row([_latin1(_("Date")), _latin1(_("Hospital")), _latin1(_("Status")), _latin1(_("Fee"))])
            for missed in statement.missed:
                table.row([missed.start.date().isoformat(), _latin1(missed.hospital),
                           _latin1(status_label(missed.status)), _plain_money(missed.fee, missed.currency)])
    return bytes(pdf.output())


def statement_page(statement: Statement | None, form: MonthForm, pdf_url: str | None, **extra):
    if statement is not None and request.args.get("format") == "pdf":
        month = statement.month.strftime("%Y-%m")
        return Response(statement_pdf(statement), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="statement-{month}.pdf"'})
    return render_template("reports/statement.html", statement=statement, form=form, pdf_url=pdf_url,
                           type_name=type_name, status_label=status_label,
                           title=_("Monthly statement"), **extra), (200 if statement is not None else 422)
