"""The team search core: free time, one different member per role, the least booked first."""
from datetime import datetime

import pytest

from app.scheduling import teams as core

D = datetime(2026, 3, 3)


def at(h: int, m: int = 0) -> datetime:
    return D.replace(hour=h, minute=m)


SURGEON = core.TeamRole("surgeon", (1, 2))
ANAESTHETIST = core.TeamRole("anaesthetist", (3,))
THEATRE = core.TeamRole("theatre", (10,))


def test_free_time_cuts_bookings_out_of_windows():
    free = core.free_time([(at(9), at(12))], [(at(10), at(10, 30)), (at(10, 15), at(11))])
    assert free == [(at(9), at(10)), (at(11), at(12))]


def test_starts_where_every_role_is_free_for_the_whole_length():
    free = {1: [(at(9), at(12))], 3: [(at(10), at(12))], 10: [(at(8), at(11))]}
    slots = core.team_starts([SURGEON, ANAESTHETIST, THEATRE], free, {}, at(0), at(23), 60)
    assert [s.start for s in slots] == [at(10)]
    assert slots[0].members == (("surgeon", 1), ("anaesthetist", 3), ("theatre", 10))
    assert slots[0].end == at(11)


def test_least_booked_member_is_chosen_then_lowest_id():
    free = {1: [(at(9), at(10))], 2: [(at(9), at(10))], 3: [(at(9), at(10))], 10: [(at(9), at(10))]}
    roles = [SURGEON, ANAESTHETIST, THEATRE]
    assert core.team_at(roles, free, {1: 120, 2: 30}, at(9), 30).members[0] == ("surgeon", 2)
    assert core.team_at(roles, free, {}, at(9), 30).members[0] == ("surgeon", 1)


def test_one_person_never_fills_two_roles():
    # doctor 1 could be surgeon or assistant; the assistant role has only doctor 1, so doctor 2 must operate
    roles = [core.TeamRole("surgeon", (1, 2)), core.TeamRole("assistant", (1,))]
    free = {1: [(at(9), at(10))], 2: [(at(9), at(10))]}
    assert core.team_at(roles, free, {2: 999}, at(9), 30).members == (("surgeon", 2), ("assistant", 1))
    assert core.team_at(roles, {1: [(at(9), at(10))]}, {}, at(9), 30) is None


def test_members_who_never_share_time_give_nothing_and_say_why():
    free = {1: [(at(9), at(10))], 3: [(at(10), at(11))], 10: [(at(8), at(12))]}
    roles = [SURGEON, ANAESTHETIST, THEATRE]
    assert core.team_starts(roles, free, {}, at(0), at(23), 30) == []
    assert core.roles_never_free(roles, free, 30) == []  # each is free, just never together
    assert core.roles_never_free(roles, free, 90) == ["surgeon", "anaesthetist"]


def test_grid_starts_at_or_after_first():
    free = {1: [(at(9), at(12))], 3: [(at(9), at(12))], 10: [(at(9), at(12))]}
    slots = core.team_starts([SURGEON, ANAESTHETIST, THEATRE], free, {}, at(9, 5), at(10), 30)
    assert [s.start for s in slots] == [at(9, 15), at(9, 30), at(9, 45)]


@pytest.mark.parametrize("roles, minutes", [([], 30), ([core.TeamRole("x", ())], 30), ([SURGEON], 7),
                                            ([SURGEON] * 9, 30)])
def test_a_team_that_can_never_form_is_refused(roles, minutes):
    with pytest.raises(core.TeamInvalid):
        core.check_team(roles, minutes)
