"""People in the directory: doctors' accounts and profiles, user accounts and their hospital memberships.

The same pattern as app/services/directory.py (check, change, flush, one audit event, no commit); refusals are
DirectoryErrors naming the form field they belong to.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import HOSPITAL_ROLES, Doctor, Hospital, Membership, Patient, Role, Specialty, User
from app.services import audit
from app.services.accounts import AccountError, create_user, sessions
from app.services.accounts.profile import MAX_PHOTO_BYTES, image_extension, store_photo
from app.services.directory.catalogue import (
    DirectoryError,
    assign_fields,
    check_fee,
    create_doctor_profile,
    hospitals_by_id,
    record_change,
    snapshot_of,
)


def _add_memberships(user: User, hospital_ids, role: str) -> None:
    have = {m.hospital_id for m in user.memberships if m.role == role}
    for hospital_id in sorted(set(hospital_ids) - have):
        user.memberships.append(Membership(hospital_id=hospital_id, role=role))


def _sync_doctor_hospitals(doctor: Doctor, hospital_ids) -> None:
    """The doctor's hospitals and their Membership(role="doctor") rows always name the same hospitals."""
    hospitals = hospitals_by_id(hospital_ids)
    wanted = {h.id for h in hospitals}
    doctor.hospitals = hospitals
    for membership in [m for m in doctor.user.memberships if m.role == Role.DOCTOR and m.hospital_id not in wanted]:
        doctor.user.memberships.remove(membership)
    _add_memberships(doctor.user, wanted, Role.DOCTOR)


def _new_account(email: str, name: str, password: str, role: str) -> User:
    try:
        return create_user(email, password, role, name, verified=True)
    except AccountError as err:
        raise DirectoryError(err.message, err.field) from None


def create_doctor(actor: User, email: str, name: str, password: str, hospital_ids, specialty_id: int,
                  **profile) -> Doctor:
    """A doctor's account (active, verified), profile, schedulable resource and memberships."""
    if not hospital_ids:
        raise DirectoryError(_l("Choose at least one hospital."), "hospital_ids")
    if db.session.get(Specialty, specialty_id) is None:
        raise DirectoryError(_l("Unknown specialty."), "specialty_id")
    check_fee(profile)
    user = _new_account(email, name, password, Role.DOCTOR)
    doctor = create_doctor_profile(user, None, specialty_id, **profile)
    _sync_doctor_hospitals(doctor, hospital_ids)
    return record_change(actor, doctor, "create")


DOCTOR_PHOTO_DIR = "doctors"  # under the upload root, beside the patients' photos (docs/security.md, "Uploads")


def set_doctor_photo(actor: User, doctor: Doctor, photo: bytes | None = None, remove: bool = False) -> str | None:
    """A new photo for the doctor's public pages (checked by size and content before anything is written), or
    none. Returns the stored file nothing points at any more, for the caller to delete after the commit."""
    if photo is None and not remove:
        return None
    if photo is not None:
        if len(photo) > MAX_PHOTO_BYTES:
            raise DirectoryError(_l("The photo is larger than 2 MB."), "photo_upload")
        if image_extension(photo) is None:
            raise DirectoryError(_l("Only JPEG, PNG or WebP images are accepted."), "photo_upload")
    before = snapshot_of(doctor)
    old = doctor.photo
    doctor.photo = store_photo(photo, directory=DOCTOR_PHOTO_DIR) if photo is not None else None
    record_change(actor, doctor, "photo", before)
    return old


def update_doctor(actor: User, doctor: Doctor, name: str, hospital_ids, **profile) -> Doctor:
    if not hospital_ids:
        raise DirectoryError(_l("Choose at least one hospital."), "hospital_ids")
    if "specialty_id" in profile and db.session.get(Specialty, profile["specialty_id"]) is None:
        raise DirectoryError(_l("Unknown specialty."), "specialty_id")
    check_fee(profile)
    before = snapshot_of(doctor)
    doctor.user.name = name
    assign_fields(doctor, profile)
    _sync_doctor_hospitals(doctor, hospital_ids)
    return record_change(actor, doctor, "update", before)


def _check_role(actor: User, user: User | None, role: str, hospital_ids: set[int]) -> None:
    if role in (Role.STAFF, Role.NURSE, Role.DOCTOR) and not hospital_ids:
        raise DirectoryError(_l("Staff, nurses and doctors need at least one hospital."), "hospital_ids")
    if role == Role.ADMIN and not actor.is_region_admin:
        # an admin without memberships administers the whole region: only a region admin may make one,
        # and a hospital admin may not make someone admin of hospitals that are not theirs
        if not hospital_ids:
            raise DirectoryError(_l("A hospital admin can only create admins of their own hospitals."),
                                 "hospital_ids")
        if hospital_ids - actor.hospital_ids:
            raise DirectoryError(_l("This person also works at hospitals you do not administer."), "role")
    if role == Role.PATIENT and user is not None and user.memberships:
        raise DirectoryError(_l("Remove the hospital memberships before making this account a patient."), "role")


def _ensure_role_records(user: User) -> None:
    """A patient account has a patient record and a doctor account a doctor profile."""
    if user.role == Role.PATIENT and db.session.scalar(select(Patient.id).where(Patient.user_id == user.id)) is None:
        db.session.add(Patient(user_id=user.id, name=user.name))
    if user.role == Role.DOCTOR and db.session.scalar(select(Doctor.id).where(Doctor.user_id == user.id)) is None:
        doctor = create_doctor_profile(user, None)
        _sync_doctor_hospitals(doctor, user.hospital_ids)


def create_account(actor: User, email: str, name: str, password: str, role: str, hospital_ids=()) -> User:
    """An account of any role, active and verified; hospital roles get a membership per hospital."""
    hospital_ids = set() if role == Role.PATIENT else set(hospital_ids or ())
    _check_role(actor, None, role, hospital_ids)
    hospitals_by_id(hospital_ids)
    user = _new_account(email, name, password, role)
    _add_memberships(user, hospital_ids, role)
    db.session.flush()
    _ensure_role_records(user)
    return record_change(actor, user, "create")


def update_user(actor: User, user: User, name: str, role: str, active: bool) -> User:
    if user.id == actor.id and (role != user.role or not active):
        raise DirectoryError(_l("You cannot change your own role or deactivate yourself."), "role")
    _check_role(actor, user, role, user.hospital_ids)
    before = snapshot_of(user)
    if role != user.role or not active:
        sessions.end_all(user)  # a new role or a deactivation ends every session (docs/security.md, "Sessions")
    user.name, user.role, user.active = name, role, active
    profile = db.session.scalar(select(Doctor).where(Doctor.user_id == user.id))
    if profile is not None and before["active"] != active:
        profile.active = active  # a doctor and their account are (de)activated together
    _ensure_role_records(user)
    return record_change(actor, user, "update", before)


def _membership_snapshot(membership: Membership) -> dict:
    return {"user_id": membership.user_id, "hospital_id": membership.hospital_id, "role": membership.role}


def add_membership(actor: User, user: User, hospital_id: int, role: str) -> Membership:
    if role not in HOSPITAL_ROLES:
        raise DirectoryError(_l("Choose a hospital role."), "role")
    if user.role == Role.PATIENT:
        raise DirectoryError(_l("Patients do not belong to hospitals."), "role")
    hospitals_by_id([hospital_id])
    if any(m.hospital_id == hospital_id and m.role == role for m in user.memberships):
        raise DirectoryError(_l("This person already has this role at this hospital."), "hospital_id")
    membership = Membership(hospital_id=hospital_id, role=role)
    user.memberships.append(membership)
    doctor = db.session.scalar(select(Doctor).where(Doctor.user_id == user.id)) if role == Role.DOCTOR else None
    if doctor is not None and hospital_id not in {h.id for h in doctor.hospitals}:
        doctor.hospitals.append(db.session.get(Hospital, hospital_id))
    db.session.flush()
    audit.record(actor.id, "membership.add", "membership", membership.id, hospital_id=hospital_id,
                 after=_membership_snapshot(membership))
    return membership


def remove_membership(actor: User, membership: Membership) -> None:
    user = membership.user
    if len(user.memberships) == 1:
        if user.role in (Role.STAFF, Role.NURSE, Role.DOCTOR):
            raise DirectoryError(_l("Staff, nurses and doctors need at least one hospital."))
        if user.role == Role.ADMIN and not actor.is_region_admin:
            raise DirectoryError(_l("Without a hospital this admin would administer the whole region."))
    before = _membership_snapshot(membership)
    ident = membership.id
    user.memberships.remove(membership)
    if membership.role == Role.DOCTOR:
        doctor = db.session.scalar(select(Doctor).where(Doctor.user_id == user.id))
        if doctor is not None:
            doctor.hospitals = [h for h in doctor.hospitals if h.id != membership.hospital_id]
    db.session.flush()
    audit.record(actor.id, "membership.remove", "membership", ident, hospital_id=before["hospital_id"],
                 before=before)


def create_operator_account(email: str, password: str, role: str, name: str, hospital_id: int | None) -> User:
    """An account made by an operator on the command line (`users create`): active, verified, with its patient
    record or doctor profile, and a membership of the given hospital for hospital roles (audited, no actor)."""
    if role in (Role.STAFF, Role.NURSE, Role.DOCTOR) and hospital_id is None:
        raise DirectoryError(f"A hospital is required for role {role}.", "hospital_id")
    if hospital_id is not None and db.session.get(Hospital, hospital_id) is None:
        raise DirectoryError(f"No hospital with id {hospital_id}.", "hospital_id")
    user = _new_account(email, name, password, role)
    if role == Role.PATIENT:
        db.session.add(Patient(user_id=user.id, name=user.name))
    if role == Role.DOCTOR:
        create_doctor_profile(user, hospital_id)
    if hospital_id is not None and role != Role.PATIENT:
        db.session.add(Membership(user_id=user.id, hospital_id=hospital_id, role=role))
    db.session.flush()
    audit.record(None, "user.create", "user", user.id, hospital_id=hospital_id,
                 after={"email": user.email, "role": role}, comment="created on the command line")
    return user
