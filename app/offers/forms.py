from app.forms import SafeForm


class AnswerForm(SafeForm):
    """Accept or decline: a bare POST carrying only the CSRF token (the buttons name the answer)."""
