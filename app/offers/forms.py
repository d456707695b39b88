from flask_wtf import FlaskForm


class AnswerForm(FlaskForm):
    """Accept or decline: a bare POST carrying only the CSRF token (the buttons name the answer)."""
