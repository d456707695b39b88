"""Locale choice: an explicit switch, then the user's language, then the browser's."""
from flask import current_app, g, request, session
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if g.get("anonymous_read"):  # no session, no login: the header is all there is (app/web/reads.py)
        return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _mark(text: str) -> str:
    """Marks words that reach templates through variables, so that extraction finds them."""
    return text


# Shown through _(variable) in templates: statuses, urgency, roles, error titles, catalogue names of the demo.
VARIABLE_WORDS = [
    _mark("scheduled"), _mark("checked in"), _mark("in progress"), _mark("completed"), _mark("cancelled"),
    _mark("no show"), _mark("routine"), _mark("urgent"), _mark("new"), _mark("follow up"),
    _mark("Patient"), _mark("Doctor"), _mark("Nurse"), _mark("Staff"), _mark("Admin"),
    _mark("Bad request"), _mark("Please log in"), _mark("Not allowed"), _mark("Not found"), _mark("Conflict"),
    _mark("Invalid input"), _mark("Too many requests"), _mark("Something went wrong"), _mark("Error"),
    _mark("Too large"), _mark("Busy"),
    _mark("Cardiology"), _mark("Dermatology"), _mark("Orthopaedics"), _mark("Paediatrics"), _mark("Neurology"),
    _mark("Ophthalmology"), _mark("Ear, nose and throat"), _mark("Gynaecology"), _mark("General practice"),
    _mark("Psychiatry"),
]
