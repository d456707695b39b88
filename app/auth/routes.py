"""Register, verify, log in and out, reset and change passwords, edit one's profile."""
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_principal import AnonymousIdentity, Identity, identity_changed
from werkzeug.datastructures import FileStorage

from app.auth import bp
from app.auth.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PatientProfileForm,
    ProfileForm,
    RegistrationForm,
    ResendVerificationForm,
    ResetPasswordForm,
)
from app.extensions import db, limiter
from app.forms import stored_phone_warnings
from app.models import ApiToken, Patient
from app.models.base import utcnow
from app.notifications import events as notify
from app.services import accounts
from app.services.accounts import profile as patient_profile
from app.services.booking import policy as booking_policy
from app.templating import home_url_for
from app.transaction import transaction
from app.web.words import error_text


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    # only same-site paths: an open redirect would let a phishing link borrow our login page
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _external(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _address() -> str | None:
    """The client's address: the peer's, or the one trusted proxies forwarded (TRUSTED_PROXIES, ProxyFix)."""
    return request.remote_addr


def _user_agent() -> str:
    return request.user_agent.string or ""


def _send_verification(user) -> None:
    token = accounts.verification_token(user)
    notify.account_email(user, "verify_email", _external("auth.verify", token=token), token)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = RegistrationForm(language=session.get("lang", "en"))
    if _safe_next(request.args.get("next")):
        # e.g. the slot being booked: kept through the e-mail confirmation, which leads to login?next=...
        session["after_login"] = _safe_next(request.args.get("next"))  # not "next": Flask-Login clears that
    if form.validate_on_submit():
        try:
            with transaction():
                signup = accounts.register_patient(accounts.Registration(
                    name=form.name.data.strip(), email=form.email.data, password=form.password.data,
                    phone=form.phone.data, birth_date=form.birth_date.data, language=form.language.data),
                    address=_address())
                if signup.existing:
                    # the same answer as a new account, so the form tells nobody who is registered; the owner
                    # hears of it instead (docs/security.md, "Logins")
                    notify.account_exists(signup.user, _external("auth.login"), _external("auth.forgot_password"))
                else:
                    _send_verification(signup.user)
        except accounts.AccountError as err:
            getattr(form, err.field).errors.append(error_text(err))
        else:
            return render_template("auth/check_email.html", email=accounts.normalise_email(form.email.data))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/verify/<token>")
def verify(token: str):
    try:
        with transaction():
            accounts.verify_email(token)
    except accounts.AccountError as err:
        flash(error_text(err), "danger")
        return redirect(url_for("auth.resend_verification"))
    flash(_("Thank you, your e-mail address is confirmed. You can log in now."), "success")
    return redirect(url_for("auth.login", next=_safe_next(session.pop("after_login", None))))


@bp.route("/verify/resend", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def resend_verification():
    form = ResendVerificationForm()
    if form.validate_on_submit():
        with transaction():
            user = accounts.find_user(form.email.data)
            if user is not None and user.email_verified_at is None and user.active:
                _send_verification(user)
        # the same answer either way, so the form does not reveal who has an account
        flash(_("If that address has an unconfirmed account, a new link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/simple_form.html", form=form, title=_("Confirm your e-mail address"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        # the refusal commits too: the failure counts towards the pair's throttle and joins the audit log
        with transaction():
            outcome = accounts.log_in(form.email.data, form.password.data, address=_address(),
                                      user_agent=_user_agent())
        err = outcome.error
        if err is None:
            session.clear()  # a fresh session on login prevents fixation
            login_user(outcome.user, remember=form.remember.data)
            identity_changed.send(current_app._get_current_object(), identity=Identity(outcome.user.id))
            return redirect(_safe_next(request.args.get("next")) or home_url_for(outcome.user))
        form.password.data = ""
        if err.retry_after:
            # the same words for every address, known or not, plus the wait (docs/security.md, "Logins")
            status, headers = 429, {"Retry-After": str(err.retry_after)}
            form.form_errors.append(f"{error_text(err)} {_(accounts.users.THROTTLED)}")
        elif err.field:
            getattr(form, err.field).errors.append(error_text(err))
            status = 422
        else:
            form.form_errors.append(error_text(err))
            status = 403
    return render_template("auth/login.html", form=form), status, headers


def _forget_login() -> None:
    logout_user()
    session.clear()
    identity_changed.send(current_app._get_current_object(), identity=AnonymousIdentity())


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated and not g.get("bearer_auth"):
        with transaction():  # the session row goes: a replayed session or remember-me cookie finds nothing
            accounts.log_out(current_user, _address())
    _forget_login()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    with transaction():
        accounts.log_out_everywhere(current_user, _address())
    _forget_login()
    flash(_("You are logged out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with transaction():
            user = accounts.find_user(form.email.data)
            if user is not None and user.active:
                token = accounts.reset_token(user)
                notify.account_email(user, "reset_password", _external("auth.reset_password", token=token), token)
        flash(_("If an account uses that address, a reset link is on its way. It works for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/simple_form.html", form=form, title=_("Forgot your password?"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset(token)
    except accounts.AccountError as err:
        flash(error_text(err), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        with transaction():
            accounts.set_password(user, form.password.data, user.id, "user.reset_password", _address())
        flash(_("Your password is changed. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/simple_form.html", form=form, title=_("Choose a new password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        try:
            with transaction():
                accounts.change_password(current_user, form.current_password.data, form.password.data,
                                         address=_address(), user_agent=_user_agent())
        except accounts.AccountError as err:
            form.current_password.errors.append(error_text(err))
        else:
            # every other session ended with the old password; this browser goes on in a fresh one
            login_user(current_user._get_current_object(), remember=remembered)
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/simple_form.html", form=form, title=_("Change password"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    patient = db.session.query(Patient).filter_by(user_id=current_user.id).one_or_none()
    if not booking_policy.is_patient(current_user) or patient is None:
        patient = None
        form = ProfileForm(obj=current_user)
    else:
        form = PatientProfileForm(obj=patient)
    if request.method == "GET":
        form.name.data = current_user.name
        form.language.data = current_user.language
        if patient is not None:  # a stored number that fails today's check: said before the person saves
            stored_phone_warnings(form.phone, form.emergency_contact_phone)
    if form.validate_on_submit():
        upload = form.photo_upload.data if patient is not None else None
        change = patient_profile.ProfileUpdate(
            name=form.name.data.strip(), language=form.language.data,
            record={name: getattr(form, name).data or None for name in form.RECORD_FIELDS} if patient else {},
            preferences={name: bool(getattr(form, name).data) for name in form.PREFERENCE_FIELDS} if patient else {},
            photo=upload.read() if isinstance(upload, FileStorage) and upload else None,
            remove_photo=bool(patient is not None and form.remove_photo.data))
        try:
            with transaction():
                old_photo = patient_profile.update_profile(current_user, patient, change)
        except patient_profile.ProfileError as err:
            form.photo_upload.errors.append(error_text(err))
            return render_template("auth/profile.html", form=form, patient=patient), 422
        patient_profile.remove_photo(old_photo)  # only once nothing points at it any more
        session["lang"] = current_user.language
        flash(_("Your details are saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, patient=patient), 200 if not form.errors else 422


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """The user's own API tokens: name, created, last used, expires; a new one is shown in clear once."""
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        with transaction():
            new_token = accounts.tokens.issue_token(current_user, form.name.data, actor_id=current_user.id)
        form = ApiTokenForm(formdata=None)
    page = render_template("auth/tokens.html", form=form, tokens=accounts.tokens.tokens_of(current_user),
                           new_token=new_token, days=current_app.config["API_TOKEN_DAYS"], now=utcnow(),
                           title=_("API tokens"))
    response = current_app.make_response((page, 422 if form.errors else 200))
    response.headers["Cache-Control"] = "no-store"  # the clear token must not stay in a cache
    return response


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def api_token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not accounts.policy.may_revoke_token(current_user, token):
        abort(404)
    with transaction():
        accounts.tokens.revoke(token, current_user.id)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.api_tokens"))


@bp.route("/patients/<int:patient_id>/photo")
@login_required
def patient_photo(patient_id: int):
    """A patient's photo, for the patient and the staff of hospitals that treat them; anyone else gets a 404."""
    patient = db.session.get(Patient, patient_id)
    if patient is None or not patient_profile.may_see_photo(current_user, patient):
        abort(404)
    response = send_from_directory(patient_profile.upload_root(), patient.photo)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            with transaction():
                current_user.language = code
    return redirect(_safe_next(request.form.get("next")) or url_for("public.index"))
