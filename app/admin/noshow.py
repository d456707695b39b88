"""The no-show pages of the administration: the active model's card and the portal's own no-show rates
(docs/noshow.md, "Admin pages"). A hospital admin's rates count only their hospitals; the model is the region's."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from app.admin import bp
from app.admin.routes import scope
from app.scheduling.noshow_features import HIGH_FROM, LOW_BELOW
from app.services.noshow import model_card, noshow_rates


@bp.route("/noshow")
def noshow():
    return render_template("admin/noshow.html", card=model_card(), rates=noshow_rates(scope()),
                           low_below=LOW_BELOW, high_from=HIGH_FROM, title=_("No-shows"))
