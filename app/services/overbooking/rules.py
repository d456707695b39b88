"""Overbooking rules in the database, turned into the core's ``Rule`` (app/scheduling/overbooking.py).

Every write goes through the core's ``Rule``, so a negative or absurd seat count is refused before a row changes.
Nothing here commits.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from app.extensions import db
from app.models import OverbookRule
from app.scheduling.overbooking import Rule, ScopedRule, most_specific
from app.services import audit

FIELDS = ("scope", "doctor_id", "appointment_type", "max_extra", "alpha", "low_risk")


def rules_of(doctor_ids: set[int] | None = None) -> list[OverbookRule]:
    """The region's default and the rules of these doctors (None: every rule), most general first."""
    query = select(OverbookRule)
    if doctor_ids is not None:
        query = query.where(or_(OverbookRule.doctor_id.is_(None), OverbookRule.doctor_id.in_(doctor_ids)))
    rows = db.session.scalars(query).all()
    return sorted(rows, key=lambda r: (r.doctor_id is not None, r.doctor_id or 0, r.appointment_type or ""))


def rule_for(doctor_id: int, appointment_type: str | None) -> Rule:
    """The rule in force for a doctor's booking of a type: the most specific level that has one."""
    scoped = [ScopedRule(Rule(r.max_extra, r.alpha, r.low_risk), r.doctor_id, r.appointment_type)
              for r in rules_of({doctor_id})]
    return most_specific(scoped, doctor_id, appointment_type)


def put_rule(actor_id: int | None, doctor_id: int | None, appointment_type: str | None, *, max_extra: int,
             alpha: float, low_risk: float) -> OverbookRule:
    """Create or replace the rule of one level; the core refuses an absurd rule (``OverbookRuleInvalid``)."""
    Rule(max_extra, alpha, low_risk)
    appointment_type = (appointment_type or None) if doctor_id is not None else None
    scope = OverbookRule.scope_of(doctor_id, appointment_type)
    row = db.session.scalar(select(OverbookRule).where(OverbookRule.scope == scope))
    before = audit.snapshot(row, FIELDS) if row else None
    if row is None:
        row = OverbookRule(scope=scope, doctor_id=doctor_id, appointment_type=appointment_type)
        db.session.add(row)
    row.max_extra, row.alpha, row.low_risk, row.updated_by_id = max_extra, float(alpha), float(low_risk), actor_id
    db.session.flush()
    audit.record(actor_id, "overbook_rule.put", "overbook_rule", row.id, before=before,
                 after=audit.snapshot(row, FIELDS))
    return row


def delete_rule(actor_id: int | None, row: OverbookRule) -> None:
    """Remove a level's rule: the next more general level applies again."""
    audit.record(actor_id, "overbook_rule.delete", "overbook_rule", row.id, before=audit.snapshot(row, FIELDS))
    db.session.delete(row)
    db.session.flush()
