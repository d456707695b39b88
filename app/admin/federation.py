"""Federation sources (docs/federation.md, "Admin"): each source's health, pause and resume, and hiding one of its
slots by hand. Sources are region-wide: region admins only."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.admin import bp
from app.admin.routes import require_region_admin
from app.extensions import db
from app.models import ExternalSlot, FederationSource
from app.services.federation import sources
from app.transaction import transaction


@bp.route("/federation")
def federation():
    require_region_admin()
    return render_template("admin/federation.html", rows=sources.health(), title=_("Federation"))


@bp.route("/federation/<int:source_id>")
def federation_source(source_id: int):
    require_region_admin()
    source = db.session.get(FederationSource, source_id) or abort(404)
    return render_template("admin/federation_source.html", source=source, slots=sources.slot_listing(source),
                           title=source.name)


@bp.route("/federation/<int:source_id>/<any(pause, resume):verb>", methods=["POST"])
def federation_pause(source_id: int, verb: str):
    require_region_admin()
    source = db.session.get(FederationSource, source_id) or abort(404)
    with transaction():
        sources.set_paused(source, verb == "pause")
    flash(_("%(source)s is paused: no sync, its slots are out of search.", source=source.name) if verb == "pause"
          else _("%(source)s is syncing again.", source=source.name), "success")
    return redirect(url_for("admin.federation"))


@bp.route("/federation/slots/<int:slot_id>/<any(hide, show):verb>", methods=["POST"])
def federation_hide(slot_id: int, verb: str):
    require_region_admin()
    slot = db.session.get(ExternalSlot, slot_id) or abort(404)
    source_id = slot.source_id
    with transaction():
        sources.set_hidden(slot, verb == "hide")
    flash(_("The slot is hidden from patients.") if verb == "hide" else _("The slot is shown again."), "success")
    return redirect(url_for("admin.federation_source", source_id=source_id))
