"""The command-line contract of docs/cli.md."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, Doctor, Hospital, Membership, Specialty, User
from app.services.accounts.tokens import token_digest


def test_users_create_and_token(runner, make):
    hospital = make.hospital()
    res = runner.invoke(args=["users", "create", "--email", "Nurse@Example.org", "--password", "pw-Nurse-123x",
                              "--role", "nurse", "--hospital", str(hospital.id), "--name", "Nora"])
    assert res.exit_code == 0, res.output
    user = db.session.scalar(select(User).where(User.email == "nurse@example.org"))
    assert user.active and user.email_verified_at is not None
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)).hospital_id == hospital.id

    res = runner.invoke(args=["users", "token", "--email", "nurse@example.org"])
    token = res.output.strip().splitlines()[-1]
    assert len(token) > 30
    assert db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token))) is not None


def test_users_create_needs_hospital_for_staff(runner):
    res = runner.invoke(args=["users", "create", "--email", "s@example.org", "--password", "x-Long-pass-1",
                              "--role", "staff"])
    assert res.exit_code != 0 and "--hospital" in res.output


def test_users_create_doctor_gets_profile(runner, make):
    hospital = make.hospital()
    res = runner.invoke(args=["users", "create", "--email", "doc@example.org", "--password", "x-Long-pass-1",
                              "--role", "doctor", "--hospital", str(hospital.id)])
    assert res.exit_code == 0, res.output
    doctor = db.session.scalar(select(Doctor))
    assert [h.id for h in doctor.hospitals] == [hospital.id]


def test_demo_seed_small_is_deterministic(runner):
    res = runner.invoke(args=["demo", "seed", "--scale", "small", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert "admin@waitless.example" in res.output
    first = [u.name for u in db.session.scalars(select(User).order_by(User.id))]
    assert db.session.scalar(select(func.count(Hospital.id))) == 6
    assert db.session.scalar(select(func.count(Doctor.id))) == 20
    assert db.session.scalar(select(func.count(Specialty.id))) == 10
    assert {h.timezone for h in db.session.scalars(select(Hospital))} == {"Europe/London", "Europe/Berlin"}
    # seeding again is refused politely; a fresh database with the same seed gives the same names
    assert "nothing seeded" in runner.invoke(args=["demo", "seed"]).output
    from tests.conftest import _empty_tables

    _empty_tables()
    runner.invoke(args=["demo", "seed", "--scale", "small", "--seed", "3"])
    assert [u.name for u in db.session.scalars(select(User).order_by(User.id))] == first


def test_jobs_run_once(runner):
    res = runner.invoke(args=["jobs", "run-once"])
    assert res.exit_code == 0 and "purge_login_state" in res.output
