"""What every demo region is made of: the specialties, equipment, hospitals, names and the demo password."""
from __future__ import annotations

import random
from decimal import Decimal

from app.extensions import db
from app.models import AppointmentType, Department, Equipment, Hospital, Room, Specialty
from app.money import currency_of_country

DEMO_PASSWORD = "Waitless-demo-2026"
# the demo logins' hospital holds a waitlist offer this long (the default is 15 minutes), so that the offer seeded for
# patient1 is still open when someone looks after `make run`
DEMO_OFFER_HOLD_MINUTES = 120

SPECIALTIES = [
    ("Cardiology", "CAR"), ("Dermatology", "DER"), ("Orthopaedics", "ORT"), ("Paediatrics", "PAE"),
    ("Neurology", "NEU"), ("Ophthalmology", "OPH"), ("Ear, nose and throat", "ENT"), ("Gynaecology", "GYN"),
    ("General practice", "GEN"), ("Psychiatry", "PSY"),
]
EQUIPMENT = [("ecg", "ECG"), ("ultrasound", "Ultrasound"), ("xray", "X-ray"), ("slit_lamp", "Slit lamp"),
             ("operating_theatre", "Operating theatre"), ("vaccine_fridge", "Vaccine fridge")]
# fictional hospitals in real places, with their real time zones
HOSPITALS = [
    ("Thames Riverside Hospital", "London", "GB", 51.4988, -0.1188, "Europe/London", "+442079460000"),
    ("Manchester Northern General", "Manchester", "GB", 53.4627, -2.2256, "Europe/London", "+441619460000"),
    ("Leeds Valley Infirmary", "Leeds", "GB", 53.8018, -1.5520, "Europe/London", "+441134960000"),
    ("Klinikum Spreebogen", "Berlin", "DE", 52.5250, 13.3777, "Europe/Berlin", "+4930901820"),
    ("Isar-Klinikum München", "München", "DE", 48.1374, 11.5995, "Europe/Berlin", "+4989124567"),
    ("Alsterklinik Hamburg", "Hamburg", "DE", 53.5895, 9.9753, "Europe/Berlin", "+4940123456"),
]
FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Emma", "Felix", "Hannah", "Lukas",
         "Sophie", "Jonas", "Lena", "Paul", "Grace", "Arthur", "Freya", "Henry", "Clara", "Max", "Ella", "Ben"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Müller", "Schmidt", "Schneider", "Fischer",
        "Weber", "Meyer", "Wagner", "Becker", "Patel", "Khan", "Evans", "Hughes", "Wright", "Hoffmann"]


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def seed_catalogue() -> tuple[list[Specialty], dict[str, Equipment]]:
    specialties = [Specialty(name=n, code=c) for n, c in SPECIALTIES]
    equipment = {code: Equipment(code=code, name=name) for code, name in EQUIPMENT}
    db.session.add_all(specialties + list(equipment.values()))
    db.session.flush()
    return specialties, equipment


def seed_hospital(row, specialties, equipment) -> Hospital:
    name, city, country, lat, lon, tz, phone = row
    hospital = Hospital(name=name, city=city, country=country, lat=lat, lon=lon, timezone=tz, phone=phone,
                        address=f"1 Hospital Road, {city}", currency=currency_of_country(country))  # GBP, EUR
    db.session.add(hospital)
    db.session.flush()
    for specialty in specialties:
        db.session.add(Department(hospital_id=hospital.id, name=specialty.name, specialty_id=specialty.id))
    rooms = [Room(hospital_id=hospital.id, name=f"Consultation {i}", kind="consultation", floor="1") for i in (1, 2, 3)]
    rooms[0].equipment = [equipment["ecg"], equipment["ultrasound"]]
    rooms.append(Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", floor="2", bookable=True,
                      equipment=[equipment["operating_theatre"]]))
    rooms.append(Room(hospital_id=hospital.id, name="Vaccination room", kind="vaccination", floor="0", bookable=True,
                      equipment=[equipment["vaccine_fridge"]]))
    db.session.add_all(rooms)
    db.session.add_all([
        AppointmentType(hospital_id=hospital.id, code="new", name="New patient", kind="new", duration_minutes=15,
                        fee=Decimal("80.00")),
        AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up", kind="follow_up",
                        duration_minutes=15, fee=Decimal("50.00")),
        AppointmentType(hospital_id=hospital.id, code="ecg", name="ECG with consultation", kind="new",
                        duration_minutes=30, fee=Decimal("120.00"), equipment=[equipment["ecg"]]),
    ])
    db.session.flush()
    return hospital


def consultation_room(hospital: Hospital, number: int) -> Room:
    """The hospital's "Consultation <number>", added when it has fewer rooms: every demo doctor works in a room of
    their own, as the availability editor demands of weekly hours (docs/architecture.md, "Integrity")."""
    name = f"Consultation {number}"
    room = next((r for r in hospital.rooms if r.name == name), None)
    if room is None:
        room = Room(hospital=hospital, name=name, kind="consultation", floor=str(1 + (number - 1) // 4))
        db.session.add(room)
        db.session.flush()
    return room
