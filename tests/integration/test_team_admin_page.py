"""The admin's team page (docs/teams.md): view and edit a procedure's team through the same service function as
the API, with field errors beside their row and nothing saved on a refusal."""
from app.extensions import db
from app.models import AuditEvent, Role
from app.services import teams
from tests.integration.team_world import team_world
from tests.integration.test_api import token_for


def _url(world):
    return f"/admin/appointment-types/{world.kind.id}/team"


def _stored(world):
    db.session.expire_all()
    return teams.template_for(world.kind.id).roles


def _form(*rows):
    """Form data for the rows: each a dict with name, kind and optional specialty, doctors, rooms, remove."""
    data = {"rows": str(len(rows)), "action": "save"}
    for i, row in enumerate(rows):
        data[f"role-{i}-name"] = row.get("name", "")
        data[f"role-{i}-kind"] = row.get("kind", "doctor")
        data[f"role-{i}-specialty"] = str(row.get("specialty", ""))
        data[f"role-{i}-doctors"] = [str(d) for d in row.get("doctors", [])]
        data[f"role-{i}-rooms"] = [str(r) for r in row.get("rooms", [])]
        if row.get("remove"):
            data[f"role-{i}-remove"] = "1"
    return data


def test_admin_sees_and_saves_the_team(client, auth, runner, make):
    world = team_world(make)
    admin = make.user(Role.ADMIN, world.hospital)
    auth.login(admin.email)
    hospital_page = client.get(f"/admin/hospitals/{world.hospital.id}").get_data(as_text=True)
    assert _url(world) in hospital_page  # reached from the list of appointment types
    page = client.get(_url(world))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="surgeon"' in html and 'value="anaesthetist"' in html and 'value="theatre"' in html
    assert "Surgeon 2" in html and "Theatre A" in html
    surgery = world.surgeons[0].specialty_id
    answer = client.post(_url(world), data=_form(
        {"name": "lead surgeon", "kind": "doctor", "doctors": [world.surgeons[1].id]},
        {"name": "anaesthetist", "remove": True, "doctors": [world.anaesthetist.id]},
        {"name": "assistant", "kind": "doctor", "specialty": surgery},
        {},  # an empty row is left out
        {"name": "theatre", "kind": "room", "rooms": [world.theatre.id]}))
    assert answer.status_code == 302 and answer.location.endswith(_url(world))
    expected = [{"name": "lead surgeon", "kind": "doctor", "doctor_ids": [world.surgeons[1].id]},
                {"name": "assistant", "kind": "doctor", "specialty_id": surgery},
                {"name": "theatre", "kind": "room", "room_ids": [world.theatre.id]}]
    assert _stored(world) == expected
    # the API reads what the page saved
    api = client.get(f"/api/v1/appointment-types/{world.kind.id}/team",
                     headers=token_for(runner, make.user(Role.STAFF, world.hospital).email))
    assert api.status_code == 200
    assert api.get_json()["roles"] == [{k: v for k, v in r.items()} for r in expected]
    assert db.session.query(AuditEvent).filter_by(action="team.template").count() == 2  # the world's + this
    # "any room with the equipment": no room ticked
    client.post(_url(world), data=_form({"name": "surgeon", "kind": "doctor", "specialty": surgery},
                                        {"name": "theatre", "kind": "room"}))
    assert _stored(world)[1] == {"name": "theatre", "kind": "room"}


def test_add_a_role_shows_one_more_row_and_saves_nothing(client, auth, make):
    world = team_world(make)
    auth.login(make.user(Role.ADMIN, world.hospital).email)
    before = _stored(world)
    data = _form({"name": "only", "kind": "room"})
    data["action"] = "add"
    answer = client.post(_url(world), data=data)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'value="only"' in html and 'name="role-1-name"' in html and 'name="role-2-name"' not in html
    assert _stored(world) == before


def test_desk_and_other_hospitals_admin_cannot(client, auth, make):
    world = team_world(make)
    before = _stored(world)
    auth.login(make.user(Role.STAFF, world.hospital).email)
    assert client.get(_url(world)).status_code == 403
    assert client.post(_url(world), data=_form({"name": "x", "kind": "room"})).status_code == 403
    auth.logout()
    auth.login(make.user(Role.ADMIN, make.hospital()).email)
    assert client.get(_url(world)).status_code == 404
    assert client.post(_url(world), data=_form({"name": "x", "kind": "room"})).status_code == 404
    assert client.get("/admin/appointment-types/999999/team").status_code == 404
    assert _stored(world) == before


def test_invalid_teams_show_field_errors_and_change_nothing(client, auth, make):
    world = team_world(make)
    other = make.hospital()
    stranger = make.doctor(other, name="Dr Elsewhere")
    auth.login(make.user(Role.ADMIN, world.hospital).email)
    before = _stored(world)
    surgery = world.surgeons[0].specialty_id

    def refused(data, *texts):
        answer = client.post(_url(world), data=data)
        assert answer.status_code == 422
        html = answer.get_data(as_text=True)
        for text in texts:
            assert text in html, text
        assert _stored(world) == before
        return html

    # no roles at all
    refused(_form({}, {"name": "surgeon", "remove": True}), "A team has 1 to 8 roles.")
    # more than eight
    refused(_form(*({"name": f"role {n}", "kind": "room"} for n in range(9))), "A team has 1 to 8 roles.")
    # duplicate names
    refused(_form({"name": "theatre", "kind": "room"}, {"name": "theatre", "kind": "room"}),
            "Each role needs its own name.")
    # a named doctor of another hospital, beside the row that named them (a forged form: the page lists none)
    html = refused(_form({"name": "surgeon", "specialty": surgery},
                         {"name": "guest", "kind": "doctor", "doctors": [stranger.id]}),
                   "Every doctor must work at this hospital.", 'id="role-1-doctor_ids-error"')
    assert "Dr Elsewhere" not in html
    # a doctor role with neither a specialty nor named doctors, or both
    refused(_form({"name": "surgeon"}), "Choose a specialty or named doctors, not both.",
            'id="role-0-row-error"')
    refused(_form({"name": "x", "specialty": surgery, "doctors": [world.anaesthetist.id]}),
            'id="role-0-row-error"')
    # a specialty that does not exist (a forged form: the page lists the catalogue's)
    refused(_form({"name": "surgeon", "specialty": 999999}), "No such specialty.", 'id="role-0-specialty_id-error"')
    # a room of another hospital; a kind that is neither
    refused(_form({"name": "theatre", "kind": "room", "rooms": [999999]}),
            "Every room must be a bookable room of this hospital.", 'id="role-0-room_ids-error"')
    refused(_form({"name": "nurse", "kind": "nurse"}), 'id="role-0-kind-error"')
    # a name with a line break (the portal's rule for single-line text)
    refused(_form({"name": "a\nb", "kind": "room"}), 'id="role-0-name-error"')


def test_the_page_and_its_refusals_in_german(client, auth, make):
    world = team_world(make)
    auth.login(make.user(Role.ADMIN, world.hospital).email)
    with client.session_transaction() as session:
        session["lang"] = "de"  # the language switch's choice
    assert "Team speichern" in client.get(_url(world)).get_data(as_text=True)
    answer = client.post(_url(world),
                         data=_form({"name": "theatre", "kind": "room"}, {"name": "theatre", "kind": "room"}))
    assert answer.status_code == 422 and "Jede Rolle braucht einen eigenen Namen." in answer.get_data(as_text=True)
