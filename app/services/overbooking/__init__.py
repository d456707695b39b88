"""Overbooking rules: stored at three levels, edited by admins, resolved for a booking (docs/overbooking.md)."""
from app.services.overbooking.policy import may_edit_region_rule, may_edit_rule, visible_rules
from app.services.overbooking.rules import delete_rule, put_rule, rule_for, rules_of

__all__ = ["delete_rule", "may_edit_region_rule", "may_edit_rule", "put_rule", "rule_for", "rules_of",
           "visible_rules"]
