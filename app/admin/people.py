"""Admin pages for people: doctors (with their accounts), user accounts, roles and hospital memberships."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.admin import bp
from app.admin.forms import (
    ROLE_LABELS,
    DoctorEditForm,
    DoctorForm,
    MembershipForm,
    UserCreateForm,
    UserEditForm,
    hospital_choices,
    payload,
    specialty_choices,
)
from app.admin.routes import ensure_any_hospital, form_page, get_or_404, save, scope, show_error, switch_active
from app.doctor.photo import uploaded_bytes
from app.extensions import db
from app.models import HOSPITAL_ROLES, Doctor, Hospital, Membership, Role, User
from app.models.base import utcnow
from app.security import ensure_hospital
from app.services import directory
from app.services.accounts import policy as account_policy
from app.services.accounts import tokens as account_tokens
from app.services.accounts.profile import remove_photo
from app.services.directory import people as people_service
from app.services.rows import contains
from app.transaction import transaction
from app.web.words import error_text

VERBS = "<any(deactivate, reactivate):verb>"


def _int_arg(name: str) -> int | None:
    return request.args.get(name, type=int)


# doctors

def _doctor(doctor_id: int) -> Doctor:
    doctor = get_or_404(Doctor, doctor_id)
    ensure_any_hospital(h.id for h in doctor.hospitals)
    return doctor


@bp.route("/doctors")
def doctors():
    visible = scope()
    hospital_id, specialty_id = _int_arg("hospital"), _int_arg("specialty")
    query = (select(Doctor).join(Doctor.user).order_by(User.name)
             .options(selectinload(Doctor.user), selectinload(Doctor.specialty), selectinload(Doctor.hospitals)))
    if visible is not None:
        query = query.where(Doctor.hospitals.any(Hospital.id.in_(visible)))
    if hospital_id:
        query = query.where(Doctor.hospitals.any(Hospital.id == hospital_id))
    if specialty_id:
        query = query.where(Doctor.specialty_id == specialty_id)
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("admin/doctors.html", page=page, hospitals=hospital_choices(visible),
                           specialties=specialty_choices(), hospital_id=hospital_id, specialty_id=specialty_id,
                           title=_("Doctors"))


@bp.route("/doctors/new", methods=["GET", "POST"])
def doctor_new():
    form = DoctorForm(scope())
    saved = save(form, lambda: people_service.create_doctor(
        current_user, form.email.data, form.name.data, form.password.data, form.hospital_ids.data,
        **payload(form, *form.PROFILE)), lambda d: url_for("admin.doctors"), _("The doctor's account is created."))
    return saved or form_page(form, _("New doctor"), url_for("admin.doctors"))


@bp.route("/doctors/<int:doctor_id>/edit", methods=["GET", "POST"])
def doctor_edit(doctor_id: int):
    doctor = _doctor(doctor_id)
    visible = scope()
    form = DoctorEditForm(visible, obj=doctor)
    if not form.is_submitted():
        form.name.data = doctor.user.name
        form.hospital_ids.data = [h.id for h in doctor.hospitals]
    # a hospital admin edits the doctor's place at their hospitals and keeps the others as they are
    elsewhere = [h.id for h in doctor.hospitals if visible is not None and h.id not in visible]
    replaced = []  # the photo file nothing points at once the change commits

    def change():
        people_service.update_doctor(current_user, doctor, form.name.data, [*form.hospital_ids.data, *elsewhere],
                                     **payload(form, *form.PROFILE))
        replaced.append(people_service.set_doctor_photo(current_user, doctor, uploaded_bytes(form.photo_upload),
                                                        remove=bool(form.remove_photo.data)))
        return doctor

    saved = save(form, change, lambda d: url_for("admin.doctors"), _("The doctor is saved."))
    if saved is not None:
        remove_photo(replaced[0], directory=people_service.DOCTOR_PHOTO_DIR)
    return saved or form_page(form, _("Edit %(name)s", name=doctor.name), url_for("admin.doctors"),
                              intro=_("Account: %(email)s", email=doctor.user.email))


@bp.route(f"/doctors/<int:doctor_id>/{VERBS}", methods=["POST"])
def doctor_active(doctor_id: int, verb: str):
    doctor = _doctor(doctor_id)
    return switch_active(doctor, verb, url_for("admin.doctors"), doctor.name)


# user accounts

def _roles() -> tuple[str, ...]:
    """A hospital admin manages hospital staff only: patients and region admins are a region admin's matter."""
    return tuple(Role) if current_user.is_region_admin else HOSPITAL_ROLES


def _user(user_id: int) -> User:
    user = get_or_404(User, user_id)
    ensure_any_hospital(user.hospital_ids)
    return user


def _edit_form(user: User, **kwargs) -> UserEditForm:
    roles = _roles()
    return UserEditForm(roles if user.role in roles else (*roles, user.role), obj=user, **kwargs)


@bp.route("/users")
def users():
    visible = scope()
    term, role = request.args.get("q", "").strip(), request.args.get("role", "")
    query = select(User).order_by(User.name).options(selectinload(User.memberships).selectinload(Membership.hospital))
    if visible is not None:
        query = query.where(User.memberships.any(Membership.hospital_id.in_(visible)))
    if term:
        query = query.where(or_(contains(func.lower(User.name), term.lower()),
                                contains(func.lower(User.email), term.lower())))
    if role in tuple(Role):
        query = query.where(User.role == role)
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("admin/users.html", page=page, q=term, role_filter=role, roles=ROLE_LABELS, now=utcnow(),
                           title=_("Users"))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm(_roles(), scope())
    saved = save(form, lambda: people_service.create_account(
        current_user, form.email.data, form.name.data, form.password.data, form.role.data, form.hospital_ids.data),
        lambda u: url_for("admin.user", user_id=u.id), _("The account is created."))
    return saved or form_page(form, _("New user"), url_for("admin.users"))


def _user_page(user: User, form: UserEditForm, membership_form: MembershipForm):
    page = render_template("admin/user.html", user=user, form=form, membership_form=membership_form,
                           roles=ROLE_LABELS, scope=scope(), tokens=account_tokens.tokens_of(user), now=utcnow(),
                           title=user.name)
    return page, 422 if form.errors or membership_form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    user = _user(user_id)
    form = _edit_form(user)
    saved = save(form, lambda: people_service.update_user(current_user, user, form.name.data, form.role.data,
                                                     form.active.data),
                 lambda u: url_for("admin.user", user_id=u.id), _("The account is saved."))
    return saved or _user_page(user, form, MembershipForm(scope(), prefix="m", formdata=None))


@bp.route("/users/<int:user_id>/memberships", methods=["POST"])
def membership_add(user_id: int):
    user = _user(user_id)
    form = MembershipForm(scope(), prefix="m")
    if form.validate_on_submit():
        ensure_hospital(form.hospital_id.data)
        try:
            with transaction():
                people_service.add_membership(current_user, user, form.hospital_id.data, form.role.data)
        except directory.DirectoryError as err:
            show_error(form, err)
        else:
            flash(_("The membership is added."), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return _user_page(user, _edit_form(user, formdata=None), form)


@bp.route("/memberships/<int:membership_id>/remove", methods=["POST"])
def membership_remove(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    ensure_hospital(membership.hospital_id)
    user_id = membership.user_id
    try:
        with transaction():
            people_service.remove_membership(current_user, membership)
    except directory.DirectoryError as err:
        flash(error_text(err), "danger")
    else:
        flash(_("The membership is removed."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route(f"/users/<int:user_id>/{VERBS}", methods=["POST"])
def user_active(user_id: int, verb: str):
    user = _user(user_id)
    return switch_active(user, verb, url_for("admin.user", user_id=user.id), user.name)


@bp.route("/users/<int:user_id>/tokens/revoke", methods=["POST"])
def user_tokens_revoke(user_id: int):
    """Revoke every API token of the account still in force (docs/security.md, "API tokens")."""
    user = _user(user_id)
    if not account_policy.may_manage_tokens_of(current_user, user):
        abort(404)
    with transaction():
        count = account_tokens.revoke_all(user, current_user.id, comment="revoked by an admin")
    flash(_("%(count)s API tokens of %(name)s are revoked.", count=count, name=user.name), "success")
    return redirect(url_for("admin.user", user_id=user.id))
