"""Secure messages (docs/messages.md, docs/api.md): the caller's threads, a patient's new thread, a message in a
thread. Attachments are sent through the pages only; the API carries text.

Patients list their own threads and start them; the desk lists its hospital's inbox and a doctor their own; any of
them writes in a thread they may read. Someone else's thread or appointment answers 404, as if it did not exist.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app.api.common import fail, iso, own_patient
from app.api.schemas import MULTILINE, Id, Schema
from app.models import Message, MessageThread
from app.services import messages
from app.services.messages import policy
from app.transaction import transaction

blp = Blueprint("api_messages", __name__, description="Secure messages")


class ThreadIn(Schema):
    to = fields.Str(required=True, validate=validate.OneOf(["desk", "doctor"]))
    hospital_id = Id()
    appointment_id = Id()
    subject = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    body = fields.Str(required=True, validate=validate.Length(min=1), metadata=MULTILINE)


class MessageIn(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1), metadata=MULTILINE)


class AttachmentOut(Schema):
    id = fields.Int()
    filename = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    url = fields.Str()


class MessageOut(Schema):
    id = fields.Int()
    from_patient = fields.Bool()
    sender_name = fields.Str(allow_none=True)
    body = fields.Str()
    created_at = fields.Str()
    attachments = fields.List(fields.Nested(AttachmentOut))


class ThreadOut(Schema):
    id = fields.Int()
    subject = fields.Str()
    patient_id = fields.Int()
    hospital_id = fields.Int()
    doctor_id = fields.Int(allow_none=True)
    appointment_id = fields.Int(allow_none=True)
    unread = fields.Int()
    created_at = fields.Str()
    last_message_at = fields.Str()
    messages = fields.List(fields.Nested(MessageOut))


class ThreadList(Schema):
    threads = fields.List(fields.Nested(ThreadOut))


def message_out(message: Message, tz: str) -> dict:
    return {"id": message.id, "from_patient": message.from_patient,
            "sender_name": message.sender.name if message.sender else None, "body": message.body,
            "created_at": iso(message.created_at, tz),
            "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                             "url": f"/messages/attachments/{a.id}"} for a in message.attachments]}


def thread_out(thread: MessageThread, *, with_messages: bool = False) -> dict:
    tz = thread.hospital.timezone
    body = {"id": thread.id, "subject": thread.subject, "patient_id": thread.patient_id,
            "hospital_id": thread.hospital_id, "doctor_id": thread.doctor_id, "appointment_id": thread.appointment_id,
            "unread": messages.unread_for(current_user, thread), "created_at": iso(thread.created_at, tz),
            "last_message_at": iso(thread.last_message_at, tz)}
    if with_messages:
        body["messages"] = [message_out(m, tz) for m in thread.messages]
    return body


def _commit(change):
    try:
        with transaction():
            return change()
    except messages.MessageError as err:
        fail(err.status, err.text, err.code, {err.field: err.text} if err.field else {})


def _thread(thread_id: int) -> MessageThread:
    thread = messages.thread_or_none(current_user, thread_id)
    if thread is None:
        abort(404)
    return thread


@blp.route("/messages/threads", methods=["GET"])
@blp.response(200, ThreadList)
def index():
    """The caller's threads, latest first: a patient's own, a doctor's own, the desk's hospital inbox."""
    return {"threads": [thread_out(t) for t in messages.inbox(current_user)]}


@blp.route("/messages/threads", methods=["POST"])
@blp.arguments(ThreadIn)
@blp.response(201, ThreadOut)
def create(data):
    """A patient writes to the desk of a hospital where they have an appointment (`hospital_id`, optionally
    `appointment_id`), or to the doctor of one of their appointments (`appointment_id`)."""
    patient = own_patient()
    if patient is None or not policy.may_start_thread(current_user):
        fail(403, "Only patients start a conversation.", "forbidden")

    def start():
        recipient = messages.resolve_recipient(patient, hospital_id=data.get("hospital_id"),
                                               appointment_id=data.get("appointment_id"),
                                               to_doctor=data["to"] == "doctor")
        return messages.start_thread(current_user, patient, recipient, data["subject"], data["body"])

    return thread_out(_commit(start), with_messages=True)


@blp.route("/messages/threads/<id:thread_id>", methods=["GET"])
@blp.response(200, ThreadOut)
def show(thread_id: int):
    """One thread with its messages; reading it marks the other side's messages read for the caller."""
    thread = _thread(thread_id)
    _commit(lambda: messages.mark_read(current_user, thread))
    return thread_out(thread, with_messages=True)


@blp.route("/messages/threads/<id:thread_id>/messages", methods=["POST"])
@blp.arguments(MessageIn)
@blp.response(201, MessageOut)
def post(data, thread_id: int):
    thread = _thread(thread_id)
    message = _commit(lambda: messages.reply(current_user, thread, data["body"]))
    return message_out(message, thread.hospital.timezone)
