"""FHIR R4 under /fhir (docs/fhir.md): every resource served parses with fhir.resources' R4B models, which refuse a
missing required element or a wrong type; searches, the IHE ITI Scheduling operations and the published files."""
from datetime import date, datetime, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Role
from app.services.fhir.capability import SEARCHES
from tests.conftest import PASSWORD

FHIR = "application/fhir+json"


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


def valid(resource: dict) -> dict:
    """Parse with the R4B model of its type (raises on invalid FHIR) and hand the resource back."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def fhir_json(res, status: int = 200) -> dict:
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.mimetype == FHIR
    return valid(res.get_json())


def refusal(res, status: int, code: str | None = None) -> dict:
    body = fhir_json(res, status)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "error"
    if code:
        assert body["issue"][0]["details"]["coding"][0]["code"] == code
    return body


def token_for(runner, email: str) -> dict:
    token = runner.invoke(args=["users", "token", "--email", email]).output.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clinic(make, runner):
    london = make.hospital(name="Thames", timezone="Europe/London", lat=51.5, lon=-0.12)
    other = make.hospital(name="Spree", city="Berlin", country="DE", timezone="Europe/Berlin", lat=52.5, lon=13.4)
    cardio = make.specialty()
    doctor = make.doctor(london, cardio)
    make.schedule(doctor, london, weekdays=[0], start="09:00", end="10:00")
    alice, bob = make.patient(), make.patient()
    desk = make.user(Role.STAFF, london)
    foreign_desk = make.user(Role.STAFF, other)
    return {"london": london, "other": other, "cardio": cardio, "doctor": doctor, "alice": alice, "bob": bob,
            "monday": next_monday(),
            "alice_h": token_for(runner, alice.user.email), "bob_h": token_for(runner, bob.user.email),
            "desk_h": token_for(runner, desk.email), "foreign_h": token_for(runner, foreign_desk.email)}


def slot_params(c, **extra) -> dict:
    monday = c["monday"]
    return {"specialty": "CAR", "start": [f"ge{monday}", f"lt{monday + timedelta(days=1)}"], **extra}


def parameters(**values) -> dict:
    params = []
    for name, value in values.items():
        if isinstance(value, dict):
            params.append({"name": name, "resource": value})
        else:
            params.append({"name": name.replace("_", "-"), "valueString": value})
    return {"resourceType": "Parameters", "parameter": params}
