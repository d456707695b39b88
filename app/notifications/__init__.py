"""Outgoing messages: e-mail through Flask-Mail, to SMTP or to the development mail folder."""
