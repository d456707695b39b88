"""PyMySQL's date parsing replaced by the standard library's (app/conversions.py): the same values, the same
fall-back for what is not a date."""
import pytest
from pymysql.constants import FIELD_TYPE
from pymysql.converters import convert_date, convert_datetime

from app.conversions import mysql_conversions, with_conversions

DATETIMES = ["2026-12-04 09:15:00", "2026-12-04 23:59:59.999999", "2026-12-04 09:15:00.5", "1970-01-01 00:00:00",
             "0000-00-00 00:00:00", "2026-02-30 10:00:00", "not a date"]
DATES = ["2026-12-04", "2024-02-29", "0000-00-00", "2026-13-01", ""]


@pytest.mark.parametrize("value", DATETIMES)
def test_datetimes_read_as_pymysql_reads_them(value):
    for field in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
        assert mysql_conversions()[field](value) == convert_datetime(value)


@pytest.mark.parametrize("value", DATES)
def test_dates_read_as_pymysql_reads_them(value):
    for field in (FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE):
        assert mysql_conversions()[field](value) == convert_date(value)


def test_what_the_caller_set_in_connect_args_stays():
    options = with_conversions({"pool_size": 5, "connect_args": {"connect_timeout": 2}})
    assert options["pool_size"] == 5
    assert options["connect_args"]["connect_timeout"] == 2
    assert options["connect_args"]["conv"][FIELD_TYPE.DATETIME] is mysql_conversions()[FIELD_TYPE.DATETIME]


def test_the_app_reads_mysql_dates_with_them(app):
    """On MariaDB the app's connections carry the conversions; SQLite's driver takes no such argument and gets
    none."""
    from app.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            if db.engine.dialect.name == "mysql":
                assert raw.dbapi_connection.decoders[FIELD_TYPE.DATETIME] is mysql_conversions()[FIELD_TYPE.DATETIME]
            else:
                assert "conv" not in (app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args") or {})
        finally:
            raw.close()
