"""What ratings hold about a patient, for their data export (docs/security.md, "Export")."""
from __future__ import annotations

from app.models import Patient
from app.services.ratings.feedback import feedback_about
from app.services.ratings.reviews import ratings_by


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_for(patient: Patient) -> dict:
    return {
        "ratings_given": [{"appointment_id": r.appointment_id, "doctor": r.doctor.name, "stars": r.stars,
                           "review": r.review, "status": r.status, "moderation_reason": r.moderation_reason,
                           "created_at": _iso(r.created_at)} for r in ratings_by(patient)],
        "visit_feedback_about_me": [{"appointment_id": f.appointment_id, "doctor": f.doctor.name,
                                     "punctuality": f.punctuality, "preparation": f.preparation, "note": f.note,
                                     "created_at": _iso(f.created_at)} for f in feedback_about(patient)],
    }
