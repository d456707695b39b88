"""Who may do what to an account's sessions and API tokens (docs/architecture.md, "Policies")."""
from __future__ import annotations

from app.models import ApiToken, Role, User
from app.services.access import visible_hospital_ids


def may_manage_tokens_of(actor: User, owner: User) -> bool:
    """A user manages their own tokens; an admin revokes the tokens of the accounts they administer."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.id == owner.id:
        return True
    if actor.role != Role.ADMIN:
        return False
    scope = visible_hospital_ids(actor)
    return scope is None or bool(owner.hospital_ids & scope)


def may_revoke_token(actor: User, token: ApiToken) -> bool:
    return may_manage_tokens_of(actor, token.user)
