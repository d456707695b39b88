"""A patient registers, confirms the e-mail through the mail folder, logs in and sees the home page."""
import re
from email import policy
from email.parser import BytesParser

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot


def _confirmation_link(mail_folder) -> str:
    (path,) = list(mail_folder.glob("*.eml"))
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    return re.search(r"http://\S+/auth/verify/\S+", msg.get_body(("plain",)).get_content()).group(0)


def test_register_verify_login(page, live_server, mail_folder, app, make):
    make.hospital(name="Thames Riverside Hospital")
    page.goto(live_server + "/")
    screenshot(page, "start-page")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Full name").fill("Mary Seacole")
    page.get_by_label("E-mail").fill("mary@example.org")
    page.get_by_label("Mobile phone (optional)").fill("+44 7911 123456")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Use at least 10 characters.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Mary Seacole")
    screenshot(page, "register-errors")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(_confirmation_link(mail_folder))
    expect(page.get_by_text("your e-mail address is confirmed")).to_be_visible()
    page.get_by_label("E-mail").fill("mary@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Mary Seacole")).to_be_visible()
    expect(page.get_by_text("No upcoming appointments")).to_be_visible()
    screenshot(page, "patient-home")
