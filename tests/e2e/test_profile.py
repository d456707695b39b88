"""The patient's profile in Chromium: upload a photo, see it on the page, keep the page accessible."""
from __future__ import annotations

import struct
import zlib

from playwright.sync_api import expect

from app.models import Role
from tests.conftest import PASSWORD
from tests.e2e.test_patient_portal import assert_accessible


def png(size: int = 96) -> bytes:
    """A real (decodable) PNG: a teal disc on a light background, made without an imaging library."""
    rows = b""
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            inside = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 2.4) ** 2
            row += bytes((13, 110, 110) if inside else (235, 242, 242))
        rows += bytes(row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_upload_a_photo_and_see_it(page, live_server, make, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    user = make.user(Role.PATIENT, email="grace@example.org", name="Grace Hopper", phone="+447911123456")
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/auth/profile")

    expect(page.get_by_label("E-mail", exact=True)).to_be_checked()
    page.get_by_label("Blood type").select_option("O+")
    page.get_by_label("Upload a photo").set_input_files(files=[{"name": "me.png", "mimeType": "image/png",
                                                       "buffer": png()}])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your details are saved.")).to_be_visible()

    photo = page.get_by_role("img", name="Your photo")
    expect(photo).to_be_visible()
    # decode() settles once the image has loaded and decoded, and rejects if it cannot; "visible" comes sooner
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 96
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "profile.png"), full_page=True)
