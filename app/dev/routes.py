import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import abort, current_app, render_template, request

from app.dev import bp
from app.dev.policy import may_read_dev_mail
from app.notifications import dev_sms

NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.eml$")


def _folder() -> Path:
    return Path(current_app.config["MAIL_FOLDER"])


def _parse(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


@bp.before_request
def loopback_only():
    # a 404, not a 403: to anyone else the page does not exist (docs/security.md)
    if not may_read_dev_mail(request.remote_addr):
        abort(404)


@bp.route("/mail")
def mail_index():
    files = sorted(_folder().glob("*.eml"), reverse=True)[:200] if _folder().exists() else []
    messages = [{"name": f.name, "msg": _parse(f)} for f in files]
    return render_template("dev/mail_index.html", messages=messages, title="Development mail")


@bp.route("/sms")
def sms_index():
    # texts sent without Twilio in development land beside the e-mail (app/notifications/dev_sms.py)
    return render_template("dev/sms_index.html", texts=dev_sms.read_all(_folder()), title="Development SMS")


@bp.route("/mail/<name>")
def mail_show(name: str):
    path = _folder() / name
    if not NAME.match(name) or not path.exists():
        abort(404)
    msg = _parse(path)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return render_template("dev/mail_show.html", msg=msg, name=name, title=msg["subject"],
                           text=text.get_content() if text else "", html=html.get_content() if html else "")
