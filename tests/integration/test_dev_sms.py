"""SMS in development (issue #13, part 2): without Twilio and with the development viewer on, a text lands in
MAIL_FOLDER beside the e-mail and /dev/sms lists it with recipient, time and text; production without Twilio
keeps logging it only (docs/operations.md, "Notifications")."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.notifications import channels, dev_sms
from app.notifications.outbox import deliver_pending
from app.services import booking

PHONE = "+447400123456"


def _clear(folder):
    for f in folder.glob(f"*{dev_sms.SUFFIX}"):
        f.unlink()


def test_without_twilio_in_development_an_sms_appears_in_the_dev_viewer(app, client, make, mail_folder):
    _clear(mail_folder)
    assert not app.config.get("TWILIO_ACCOUNT_SID") and dev_sms.dev_outbox_on(app.config)
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="UTC")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Grey")
    make.schedule(doctor, hospital, horizon_days=30)
    day = (utcnow() + timedelta(days=3)).date()
    booking.book(None, make.patient(phone=PHONE), doctor, datetime(day.year, day.month, day.day, 9, 0), now=utcnow())
    db.session.commit()
    deliver_pending(now=utcnow())
    db.session.expire_all()
    (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert row.status == "sent" and row.last_error is None
    (text,) = dev_sms.read_all(mail_folder)
    assert text["to"] == PHONE and "Dr Grey" in text["body"] and text["dedupe_key"] == row.dedupe_key
    page = client.get("/dev/sms").get_data(as_text=True)
    assert PHONE in page and text["body"].split()[0] in page
    assert text["sent_at"].strftime("%H:%M:%S") in page
    # the e-mail tab links to it: the outbox view has both side by side
    assert 'href="/dev/sms"' in client.get("/dev/mail").get_data(as_text=True)


def test_the_dev_sms_page_is_for_this_machine_only(app, client, mail_folder):
    res = client.get("/dev/sms", environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert res.status_code == 404


def test_without_the_viewer_an_sms_is_only_logged(app, mail_folder, monkeypatch):
    _clear(mail_folder)
    logged = []
    monkeypatch.setitem(app.config, "WAITLESS_ENV", "production")
    monkeypatch.setitem(app.config, "DEV_MAIL_VIEWER", False)
    monkeypatch.setattr(channels.log, "info", lambda *args: logged.append(args))
    assert channels.send_sms(PHONE, "Hello", "prod-key") is None
    assert logged and "Hello" in logged[0] and dev_sms.read_all(mail_folder) == []


def test_a_production_config_never_writes_texts_even_with_the_viewer_flag(app, mail_folder, monkeypatch):
    _clear(mail_folder)
    monkeypatch.setitem(app.config, "WAITLESS_ENV", "production")
    assert not dev_sms.dev_outbox_on(app.config)
    assert channels.send_sms(PHONE, "Hello", "prod-key-2") is None
    assert dev_sms.read_all(mail_folder) == []


def test_unreadable_files_in_the_folder_are_skipped(app, mail_folder):
    _clear(mail_folder)
    (mail_folder / f"20250101T000000000000-0123abcd{dev_sms.SUFFIX}").write_text("not json")
    dev_sms.write(mail_folder, PHONE, "Kept", "k")
    assert [t["body"] for t in dev_sms.read_all(mail_folder)] == ["Kept"]
