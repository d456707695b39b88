"""Secure messages between a patient and a hospital's desk or their doctor (docs/messages.md).

A thread belongs to one patient and one hospital; `doctor_id` set means it is addressed to that doctor, empty means
the hospital's desk. Attachments live in the database (LONGBLOB on MariaDB): they commit and roll back with their
message, backups carry them, and erasing a patient deletes them with one statement, with no file left behind.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow

# MariaDB's plain BLOB stops at 64 kB; LONGBLOB holds the largest attachment allowed (MESSAGE_ATTACHMENT_MAX_BYTES)
Blob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class MessageThread(db.Model):
    __tablename__ = "message_threads"
    __table_args__ = (
        Index("ix_message_threads_hospital_last", "hospital_id", "last_message_at"),
        Index("ix_message_threads_doctor_last", "doctor_id", "last_message_at"),
        Index("ix_message_threads_patient_last", "patient_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))  # None: to the hospital's desk
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # messages the other side has not opened yet: the patient's, and the addressee's (desk or doctor)
    patient_unread: Mapped[int] = mapped_column(default=0, server_default="0")
    hospital_unread: Mapped[int] = mapped_column(default=0, server_default="0")

    patient: Mapped[Patient] = relationship()  # noqa: F821
    hospital: Mapped[Hospital] = relationship()  # noqa: F821
    doctor: Mapped[Doctor | None] = relationship()  # noqa: F821
    appointment: Mapped[Appointment | None] = relationship()  # noqa: F821
    messages: Mapped[list[Message]] = relationship(back_populates="thread", order_by="Message.id",
                                                   cascade="all, delete-orphan", passive_deletes=True)


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_patient: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[MessageThread] = relationship(back_populates="messages")
    sender: Mapped[User | None] = relationship()  # noqa: F821
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", passive_deletes=True, order_by="MessageAttachment.id")


class MessageAttachment(db.Model):
    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))  # cleaned for the Content-Disposition header
    content_type: Mapped[str] = mapped_column(String(40))  # from the checked content, never from the upload
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(Blob, deferred=True)  # loaded only by the download

    message: Mapped[Message] = relationship(back_populates="attachments")
