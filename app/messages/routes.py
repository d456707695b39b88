"""The inbox, a new conversation (patients), a conversation with its reply form, and the attachment download.

Every thread and attachment is loaded through the service's one loader of "not found or not yours": someone else's
is a 404 like one that does not exist (docs/messages.md, "Access").
"""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.messages import bp
from app.messages.forms import NewThreadForm, ReplyForm, uploaded
from app.models import MessageThread
from app.services import messages
from app.services.booking.policy import own_patient
from app.services.messages import policy
from app.templating import local_time
from app.transaction import transaction


@bp.route("/")
def index():
    threads = messages.inbox(current_user)
    return render_template("messages/index.html", threads=threads, title=_("Messages"),
                           unread={t.id: messages.unread_for(current_user, t) for t in threads},
                           may_start=policy.may_start_thread(current_user))


def _recipient_choices(appointments) -> list[tuple[str, str]]:
    choices, desks = [], {}
    for a in appointments:
        desks.setdefault(a.hospital_id, a.hospital.name)
    choices += [(f"desk:{hid}", _("Front desk, %(hospital)s", hospital=name)) for hid, name in desks.items()]
    choices += [(f"doctor:{a.id}", _("%(doctor)s, about your appointment on %(when)s", doctor=a.doctor.name,
                                     when=local_time(a.start, a.hospital.timezone)))
                for a in appointments if a.doctor is not None]
    return choices


def _appointment_choices(appointments) -> list[tuple[str, str]]:
    return [("", _("None"))] + [
        (str(a.id), f"{local_time(a.start, a.hospital.timezone)}, {a.doctor.name if a.doctor else ''}, "
                    f"{a.hospital.name}") for a in appointments]


def _new_form(patient, formdata=True) -> NewThreadForm:
    form = NewThreadForm() if formdata else NewThreadForm(formdata=None)
    appointments = messages.own_appointments(patient)
    form.recipient.choices = [("", _("Choose…"))] + _recipient_choices(appointments)
    form.appointment.choices = _appointment_choices(appointments)
    return form


def _show_error(form, err: messages.MessageError) -> None:
    text = _(err.message, **err.values)
    field = {"hospital_id": "recipient", "appointment_id": "appointment"}.get(err.field or "", err.field)
    if field and hasattr(form, field):
        getattr(form, field).errors = [*getattr(form, field).errors, text]
    else:
        form.form_errors.append(text)


@bp.route("/new", methods=["GET", "POST"])
def new():
    patient = own_patient(current_user)
    if not policy.may_start_thread(current_user) or patient is None:
        abort(403)
    form = _new_form(patient)
    if not form.recipient.choices[1:]:
        return render_template("messages/new.html", form=None, title=_("New message"))
    if form.validate_on_submit():
        kind, _sep, ident = form.recipient.data.partition(":")
        to_doctor = kind == "doctor"
        appointment_id = int(ident) if to_doctor else (int(form.appointment.data) if form.appointment.data else None)
        file = uploaded(form.attachment)
        try:
            with transaction():
                recipient = messages.resolve_recipient(
                    patient, hospital_id=None if to_doctor else int(ident), appointment_id=appointment_id,
                    to_doctor=to_doctor)
                thread = messages.start_thread(current_user, patient, recipient, form.subject.data, form.body.data,
                                               messages.Upload(*file) if file else None)
        except messages.MessageError as err:
            _show_error(form, err)
        else:
            flash(_("Your message was sent."), "success")
            return redirect(url_for("messages.thread", thread_id=thread.id))
    return render_template("messages/new.html", form=form, title=_("New message")), 422 if form.errors else 200


def _load(thread_id: int) -> MessageThread:
    thread = messages.thread_or_none(current_user, thread_id)
    if thread is None:
        abort(404)
    return thread


def _show_thread(thread: MessageThread, form: ReplyForm, status: int = 200):
    return render_template("messages/thread.html", thread=thread, form=form, title=thread.subject,
                           side=policy.side_of(current_user, thread)), status


@bp.route("/<int:thread_id>", methods=["GET", "POST"])
def thread(thread_id: int):
    thread = _load(thread_id)
    form = ReplyForm()
    if request.method == "GET":
        with transaction():
            messages.mark_read(current_user, thread)
        return _show_thread(thread, form)
    if form.validate_on_submit():
        file = uploaded(form.attachment)
        try:
            with transaction():
                messages.reply(current_user, thread, form.body.data, messages.Upload(*file) if file else None)
        except messages.MessageError as err:
            _show_error(form, err)
        else:
            flash(_("Your message was sent."), "success")
            return redirect(url_for("messages.thread", thread_id=thread.id))
    return _show_thread(thread, form, 422)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_err):
    """A body over the message forms' limit: the form again, with the reason on the attachment field."""
    reason = _("The file must be smaller than %(mb)s MB.", mb=messages.max_bytes() // (1024 * 1024))
    if request.endpoint == "messages.thread" and request.view_args:
        thread = messages.thread_or_none(current_user, request.view_args["thread_id"])
        if thread is not None:
            form = ReplyForm(formdata=None)
            form.attachment.errors = [reason]
            return _show_thread(thread, form, 413)
    patient = own_patient(current_user)
    if request.endpoint == "messages.new" and patient is not None:
        form = _new_form(patient, formdata=False)
        form.attachment.errors = [reason]
        return render_template("messages/new.html", form=form, title=_("New message")), 413
    return render_template("errors/error.html", status=413, title=_("Too large"), message=reason), 413


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """Only through this check, always as a download, with the type the content was checked to be."""
    found = messages.attachment_or_none(current_user, attachment_id)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
