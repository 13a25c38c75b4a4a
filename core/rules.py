"""One permission style for every app, built on django-rules predicates (ADR 0025).

Every permission is a `Rule` called as `rule(user, obj=None)`: who may act (`who`, a role) combined with `&`
with the conditions on the object it is given (`when`), or several roles combined with `|`. Because a rule
remembers what it is made of, the description people read ("a contract officer or a CQM, when the case is
open and they are cleared for the case") and the refusal message are generated from the checks themselves,
so they cannot promise a check the code does not make.

    is_cqm = who("a CQM")(lambda user: has_role(user, CQM))
    case_is_open = when("the case is open", refusal="This case has ended")(lambda user, case: ...)
    can_link_concern = permission("Link a concern to a case", is_cqm & case_is_open)
"""

from __future__ import annotations

import copy
import sys

import rules
from django.core.exceptions import PermissionDenied


class Rule(rules.Predicate):
    """A django-rules predicate with a plain-English account of what it checks."""

    who_parts: tuple[str, ...] = ()  # the people who may act, e.g. ("a contract officer", "a CQM")
    when_parts: tuple[Rule, ...] = ()  # the conditions, each a `when` rule
    checks: tuple[Rule, ...] = ()  # the parts in the order they are checked (for `explain`)
    refusal: str = ""

    def __call__(self, user, obj=None) -> bool:
        """The one signature: (user, object). A rule that needs no object takes only the user."""
        return self.test(user, obj)

    # -- combining keeps the parts, so the description is generated -------------------------------------------
    def __or__(self, other: Rule) -> Rule:
        if self.when_parts or other.when_parts:
            raise TypeError("Only roles combine with |: write conditions with &")
        combined = super().__or__(other)
        combined.who_parts = self.who_parts + other.who_parts
        combined.checks = (combined,)
        return combined

    def __and__(self, other: Rule) -> Rule:
        if self.who_parts and other.who_parts:
            raise TypeError("A rule names who may act once: combine roles with |")
        combined = super().__and__(other)
        combined.who_parts = self.who_parts or other.who_parts
        combined.when_parts = self.when_parts + other.when_parts
        combined.checks = self.checks + other.checks
        return combined

    def __invert__(self):
        raise TypeError("Write the negative condition as its own `when` rule, with its own description")

    # -- what people read ------------------------------------------------------------------------------------
    @property
    def description(self) -> str:
        who_text = " or ".join(self.who_parts) or "anyone with a role in the team"
        conditions = [part.name for part in self.when_parts]
        if not conditions:
            return who_text
        if len(conditions) > 1:
            conditions = [", ".join(conditions[:-1]), conditions[-1]]
        return f"{who_text}, when {' and '.join(conditions)}"

    def explain(self, user, obj=None) -> str:
        """Why `user` may not do this with `obj`: the first check that fails, in words."""
        for check in self.checks:
            if not check(user, obj):
                if check.refusal:
                    return check.refusal
                if check.who_parts:
                    return f"Only {' or '.join(check.who_parts)} can do this"
                return f"This can be done only when {check.name}"
        return ""


def who(description: str):
    """A role check (takes only the user): `description` names the people, e.g. "a CQM"."""

    def wrap(fn) -> Rule:
        rule = Rule(fn, name=description)
        rule.who_parts, rule.checks = (description,), (rule,)
        return rule

    return wrap


def when(description: str, *, refusal: str = ""):
    """A condition on the object (or on the person and the object): `description` completes "…, when ___"."""

    def wrap(fn) -> Rule:
        rule = Rule(fn, name=description)
        rule.when_parts, rule.checks, rule.refusal = (rule,), (rule,), refusal
        return rule

    return wrap


#: Every named permission, by the app that defines it: "How the process works" lists them.
REGISTRY: dict[str, list[Rule]] = {}


def permission(action: str, rule: Rule) -> Rule:
    """Names a rule for the "Who may do what" table (`action` is what people do, e.g. "Record a meeting")."""
    app = sys._getframe(1).f_globals["__name__"].split(".")[0]
    named = copy.copy(rule)  # the same checks under its own name: `is_cqm` itself stays unnamed
    named.action = action
    REGISTRY.setdefault(app, []).append(named)
    return named


def require(rule: Rule, user, obj=None) -> None:
    """Raises PermissionDenied with the generated reason unless `rule(user, obj)`."""
    if not rule(user, obj):
        raise PermissionDenied(rule.explain(user, obj) or "You do not have permission to do that")


def transition_permission(rule: Rule):
    """django-fsm calls permission(instance, user): this adapts a Rule, and carries its description."""

    def permission(instance, user) -> bool:
        return rule(user, instance)

    permission.__name__ = getattr(rule, "action", rule.name)
    permission.__doc__ = rule.description[:1].upper() + rule.description[1:]
    permission.rule = rule
    return permission
