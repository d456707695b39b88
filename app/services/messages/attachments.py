"""Checking an uploaded attachment by its content, never by its name or the browser's type (docs/messages.md).

Accepted: PNG and JPEG images that Pillow can decode, and PDF files that start with %PDF- and that pypdf can
read, each smaller than MESSAGE_ATTACHMENT_MAX_BYTES. The stored type comes from the content; the stored name is
cleaned so that it cannot break the Content-Disposition header or pretend to be another type.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask import current_app
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from app.services.messages.errors import MessageError


def _mark(text: str) -> str:
    """For extraction only (`make messages`): the pages translate MessageError's text when they show it."""
    return text


IMAGE_TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}
PDF = ("application/pdf", "pdf")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def max_bytes() -> int:
    return current_app.config["MESSAGE_ATTACHMENT_MAX_BYTES"]


def content_type_of(data: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of an image or PDF the libraries can really read; None for anything else."""
    if data.startswith(b"%PDF-"):
        try:
            reader = PdfReader(io.BytesIO(data))
            if len(reader.pages) < 1:
                return None
        except (PdfReadError, ValueError, KeyError, TypeError, OSError):
            return None
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()  # reads the whole file: a PNG header on something else fails here
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            return None
        return IMAGE_TYPES.get(kind or "")
    return None


def clean_name(name: str, extension: str) -> str:
    """The uploaded name without path, odd characters or a misleading extension: "x.exe.png" stays, "<b>.pdf"
    becomes "b.pdf", and the extension always matches the content."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE_NAME.sub("", stem).strip(" .")[:80] or "attachment"
    return f"{stem}.{extension}"


def check(filename: str, data: bytes) -> CheckedFile:
    """The attachment as it will be stored, or MessageError on the attachment field."""
    if len(data) == 0:
        raise MessageError(_mark("The file is empty."), "attachment")
    if len(data) >= max_bytes():
        raise MessageError(_mark("The file must be smaller than %(mb)s MB."), "attachment", code="too_large",
                           values={"mb": max_bytes() // (1024 * 1024)})
    kind = content_type_of(data)
    if kind is None:
        raise MessageError(_mark("Only PNG or JPEG images and PDF files can be attached."), "attachment",
                           code="unsupported_type")
    return CheckedFile(clean_name(filename, kind[1]), kind[0], data)
