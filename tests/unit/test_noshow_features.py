"""No-show features from hand-written rows: lead time, history only from outcomes known at booking, no leakage."""
import io
from datetime import date

import pytest

from app.scheduling.noshow_features import (
    COLUMNS,
    FEATURES,
    Encoding,
    History,
    NoShowDataError,
    features,
    matrix,
    read_appointments,
    time_split,
)

HEADER = ",".join(COLUMNS)


def _line(patient, appt, booked, day, no_show, age=40, hood="CENTRO", sms=0, gender="F"):
    return (f"{patient},{appt},{gender},{booked}T09:30:00Z,{day}T00:00:00Z,{age},{hood},0,1,0,0,0,{sms},"
            f"{'Yes' if no_show else 'No'}")


def _read(*lines):
    return read_appointments(io.StringIO("\n".join([HEADER, *lines]) + "\n"), source="t.csv")


def _f(values, name):
    return values[FEATURES.index(name)]


ROWS = (
    _line(1, 10, "2016-04-20", "2016-04-29", True),   # Friday, missed
    _line(1, 11, "2016-04-29", "2016-05-02", False),  # booked on the day of 10: 10's outcome not yet known
    _line(1, 12, "2016-05-03", "2016-05-10", True, sms=1),  # booked after 10 and 11 took place
    _line(2, 20, "2016-05-02", "2016-05-02", False, hood="JARDIM", gender="M"),
)


def test_lead_time_weekday_and_plain_fields():
    loaded = _read(*ROWS)
    first, _, third, fourth = loaded.rows
    assert [r.lead_days for r in loaded.rows] == [9, 3, 7, 0]
    enc = Encoding.fit(loaded.rows)
    values = features(first, enc, History(loaded.rows))
    assert len(values) == len(FEATURES)
    assert _f(values, "lead_days") == 9 and _f(values, "same_day") == 0 and _f(values, "day_fri") == 1
    assert _f(values, "age") == 40 and _f(values, "female") == 1 and _f(values, "hypertension") == 1
    assert _f(values, "booked_hour") == 9
    assert _f(features(third, enc, History(loaded.rows)), "sms_received") == 1
    same_day = features(fourth, enc, History(loaded.rows))
    assert _f(same_day, "same_day") == 1 and _f(same_day, "female") == 0 and _f(same_day, "day_mon") == 1


def test_history_counts_only_outcomes_known_when_booked():
    loaded = _read(*ROWS)
    enc = Encoding.fit(loaded.rows)
    history = History(loaded.rows)
    first, second, third, _ = (features(r, enc, history) for r in loaded.rows)
    assert (_f(first, "prior_visits"), _f(first, "prior_noshows"), _f(first, "first_visit")) == (0, 0, 1)
    # booked on the very day of the missed appointment: that outcome was not known yet
    assert (_f(second, "prior_visits"), _f(second, "prior_noshows")) == (0, 0)
    assert (_f(third, "prior_visits"), _f(third, "prior_noshows"), _f(third, "first_visit")) == (2, 1, 0)


def _flip(line):
    return line[: -len("Yes")] + "No" if line.endswith("Yes") else line[: -len("No")] + "Yes"


def test_no_outcome_leaks_into_a_rows_features():
    """Flipping every outcome on or after a row's booking date (its own included) changes none of its features."""
    base = _read(*ROWS)
    enc = Encoding.fit(base.rows)  # fixed, as a trained model's encoding is
    x, y = matrix(base.rows, enc, base.rows)
    for index, row in enumerate(base.rows):
        lines = [_flip(line) if r.day >= row.booked.date() else line for line, r in zip(ROWS, base.rows, strict=True)]
        changed = _read(*lines)
        x2, y2 = matrix([changed.rows[index]], enc, changed.rows)
        assert y2[0] != y[index]  # its own outcome did flip ...
        assert x2[0] == x[index], f"row {index} saw an outcome not known when it was booked"  # ... unnoticed
    # and the history does move when an outcome known at booking changes (the test can fail)
    earlier = _read(_flip(ROWS[0]), *ROWS[1:])
    assert matrix([earlier.rows[2]], enc, earlier.rows)[0][0] != x[2]


def test_neighbourhood_encoding_comes_from_training_rows_only():
    loaded = _read(*ROWS)
    train = loaded.rows[:3]  # all CENTRO
    enc = Encoding.fit(train)
    later = features(loaded.rows[3], enc, History(loaded.rows))
    assert _f(later, "neighbourhood_share") == 0  # JARDIM never seen in training
    assert _f(later, "neighbourhood_noshow_rate") == pytest.approx(enc.base_rate)


def test_time_split_keeps_each_day_on_one_side():
    loaded = _read(*ROWS)
    train, held = time_split(loaded.rows, 0.2)
    assert max(r.day for r in train) < min(r.day for r in held)
    assert {r.day for r in held} == {date(2016, 5, 10)}


def test_dirty_rows_are_dropped_and_bad_files_named():
    loaded = _read(*ROWS, _line(3, 30, "2016-05-03", "2016-05-02", False), _line(4, 40, "2016-05-02",
                                                                                   "2016-05-02", False, age=-1))
    assert (len(loaded.rows), loaded.dropped) == (4, 2)
    with pytest.raises(NoShowDataError, match=r"row 2, column AppointmentDay"):
        _read(ROWS[0], ROWS[1].replace("2016-05-02T00", "2016-13-02T00"))
    with pytest.raises(NoShowDataError, match="missing column.*Age"):
        read_appointments(io.StringIO(HEADER.replace(",Age", "") + "\n"), source="t.csv")
    with pytest.raises(NoShowDataError, match="unexpected column.*Extra"):
        read_appointments(io.StringIO(HEADER + ",Extra\n"), source="t.csv")
