"""Ratings (docs/api.md, "Ratings"): a patient rates the doctor of their own completed visit, once; anyone reads a
doctor's approved reviews. Someone else's visit answers 404, a staff account 403, a second rating or a visit not
completed 409, a bad body 422."""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy.exc import IntegrityError

from app.api.common import fail
from app.api.schemas import MULTILINE, Id, Schema
from app.extensions import db
from app.models import Appointment, Doctor, DoctorRating
from app.services import ratings
from app.transaction import transaction

blp = Blueprint("api_ratings", __name__, description="Ratings of doctors")


class RatingIn(Schema):
    appointment_id = Id(required=True)
    stars = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=5))
    review = fields.Str(validate=validate.Length(max=ratings.MAX_REVIEW), metadata=MULTILINE)


class RatingOut(Schema):
    id = fields.Int()
    appointment_id = fields.Int()
    doctor_id = fields.Int()
    stars = fields.Int()
    review = fields.Str(allow_none=True)
    status = fields.Str(metadata={"description": "pending until the hospital approves or hides it"})
    created_at = fields.Str()


class ReviewOut(Schema):
    stars = fields.Int()
    review = fields.Str(allow_none=True)
    created_at = fields.Str()


class ReviewList(Schema):
    doctor_id = fields.Int()
    average = fields.Float(allow_none=True)
    count = fields.Int()
    reviews = fields.List(fields.Nested(ReviewOut))


def rating_out(rating: DoctorRating) -> dict:
    return {"id": rating.id, "appointment_id": rating.appointment_id, "doctor_id": rating.doctor_id,
            "stars": rating.stars, "review": rating.review, "status": rating.status,
            "created_at": rating.created_at.isoformat() + "Z"}


@blp.route("/ratings", methods=["POST"])
@blp.arguments(RatingIn)
@blp.response(201, RatingOut)
def create(data):
    if not current_user.is_authenticated:
        refused = g.get("bearer_refused")
        fail(401, f"This API token is {refused}." if refused else "Log in or send an API token.",
             f"token_{refused}" if refused else "unauthorized")
    appointment = db.session.get(Appointment, data["appointment_id"])
    if appointment is None:
        abort(404)
    try:
        with transaction():
            rating = ratings.rate(current_user, appointment, data["stars"], data.get("review"))
    except ratings.RatingError as err:
        if err.status == 404:
            abort(404)
        fail(err.status, err.message, err.code, {err.field: err.message} if err.field else None)
    except IntegrityError:  # a racing request rated the same visit first
        fail(409, "This visit is already rated.", "already_rated")
    return rating_out(rating)


@blp.route("/doctors/<id:doctor_id>/reviews")
@blp.response(200, ReviewList)
def reviews(doctor_id: int):
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None or not doctor.active:
        abort(404)
    return {"doctor_id": doctor.id, "average": doctor.rating_average, "count": doctor.rating_count,
            "reviews": [{"stars": r.stars, "review": r.review, "created_at": r.created_at.isoformat() + "Z"}
                        for r in ratings.approved_reviews(doctor.id)]}
