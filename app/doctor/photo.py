"""The doctor's photo on their public pages (the doctor page and the search results): upload, replace, remove.

Admins set it too, on the doctor's edit page (app/admin/people.py). The file is checked by size and by content in
app.services.directory.people; an old file is deleted only after the commit that stopped pointing at it.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileSize
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, SubmitField, ValidationError

from app.doctor import bp
from app.doctor.routes import current_doctor
from app.forms import SafeForm
from app.services.accounts.profile import MAX_PHOTO_BYTES, remove_photo
from app.services.directory import DirectoryError
from app.services.directory.people import DOCTOR_PHOTO_DIR, set_doctor_photo
from app.transaction import transaction

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp"]


def photo_fields(description):
    """The upload and remove fields the doctor's page and the admin's doctor form share. The service checks the size
    again and the type by the file's magic bytes; these give the form its messages."""
    upload = FileField(_l("Upload a photo"), validators=[
        FileAllowed(IMAGE_TYPES, _l("Only JPEG, PNG or WebP images are accepted.")),
        FileSize(max_size=MAX_PHOTO_BYTES, message=_l("The photo is larger than 2 MB."))], description=description)
    return upload, BooleanField(_l("Remove the photo"))


def uploaded_bytes(field) -> bytes | None:
    return field.data.read() if isinstance(field.data, FileStorage) and field.data else None


class DoctorPhotoForm(SafeForm):
    photo_upload, remove_photo = photo_fields(
        _l("JPEG, PNG or WebP, at most 2 MB. Patients see it on your page and beside your free times."))
    submit = SubmitField(_l("Save"))

    def validate_photo_upload(self, field):
        if not (isinstance(field.data, FileStorage) and field.data) and not self.remove_photo.data:
            raise ValidationError(_l("Choose a photo to upload."))


@bp.route("/photo", methods=["GET", "POST"])
def photo():
    doctor = current_doctor()
    form = DoctorPhotoForm()
    if form.validate_on_submit():
        try:
            with transaction():
                old = set_doctor_photo(current_user, doctor, uploaded_bytes(form.photo_upload),
                                       remove=bool(form.remove_photo.data))
        except DirectoryError as err:
            form.photo_upload.errors.append(err.message)
        else:
            remove_photo(old, directory=DOCTOR_PHOTO_DIR)
            flash(_("Your photo is saved."), "success")
            return redirect(url_for("doctor.photo"))
    return render_template("doctor/photo.html", doctor=doctor, form=form, title=_("My photo")), \
        422 if form.errors else 200
