"""Administration: the region overview and the audit log."""
from flask import render_template, request
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.admin import bp
from app.extensions import db
from app.models import AuditEvent, User
from app.security import visible_hospital_ids
from app.services.dashboards import recent_audit, region_counts


@bp.route("/")
def home():
    scope = visible_hospital_ids(current_user)
    return render_template("admin/home.html", counts=region_counts(), events=recent_audit(scope),
                           title="Administration")


@bp.route("/audit")
def audit():
    scope = visible_hospital_ids(current_user)
    term = request.args.get("q", "").strip()
    query = select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    if scope is not None:
        query = query.where(AuditEvent.hospital_id.in_(scope))
    if term:
        like = f"%{term}%"
        query = query.outerjoin(User, User.id == AuditEvent.actor_id).where(or_(
            AuditEvent.action.like(like), AuditEvent.target_type.like(like), AuditEvent.comment.like(like),
            User.email.like(like), User.name.like(like)))
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("admin/audit.html", page=page, q=term, title="Audit log")
