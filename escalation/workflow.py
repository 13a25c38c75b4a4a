"""The workflow diagrams, generated from the state machines themselves so they cannot disagree with the code:
the escalation ladder (`level`) and the suspension routes (`route`)."""

import functools
import shutil

import graphviz

from .models import EscalationCase, Level, Route

MACHINES = {
    "level": ("Escalation ladder", Level,
              {"qa": "#fff7bf", "ppm": "#fcd6c3", "jimp": "#f4cdc6", "sosg": "#e9d5f5", "closed": "#cce2d8",
               "provider_failure": "#f3f2f1"}),
    "route": ("Suspension of placements", Route,
              {"none": "#f3f2f1", "at_risk": "#ffdd99", "suspension_proposed": "#f4cdc6",
               "suspension_endorsed": "#f4cdc6", "suspended": "#e8a39a", "lifting_proposed": "#cce2d8",
               "lifting_endorsed": "#cce2d8", "oversight": "#d2e2f1", "provider_failure": "#f3f2f1"}),
}


def _transitions(field_name: str):
    field = EscalationCase._meta.get_field(field_name)
    choices = MACHINES[field_name][1]
    order = [value for value, _ in choices.choices]
    rows = []
    for t in field.get_all_transitions(EscalationCase):
        conditions = [c.__doc__.strip().splitlines()[0] if c.__doc__ else c.__name__ for c in t.conditions]
        who = t.permission.__doc__.strip().splitlines()[0] if t.permission and t.permission.__doc__ else ""
        rows.append((t.source, t.target, t.name, t.custom.get("label", t.name), conditions, who))
    return sorted(rows, key=lambda r: (order.index(r[0]), order.index(r[1]), r[2]))


def transition_rows(field_name: str = "level") -> list[dict]:
    names = dict(MACHINES[field_name][1].choices)
    return [{"source": names[s], "target": names[t], "action": label, "conditions": conds, "who": who}
            for s, t, _name, label, conds, who in _transitions(field_name)]


PERMISSION_AREAS = {"concerns": "Concerns", "escalation": "Escalation cases and suspension routes",
                    "letters": "Letters", "oversight": "Meeting packs, board reports and case records",
                    "accounts": "The register and settings", "portal": "The providers' portal",
                    "placements": "People placed, closure plans and the register of suspensions",
                    "intelligence": "CQC ratings, suggested concerns, triggers, visits, audits and CQC meetings",
                    "replies": "Providers' updates on plan actions and appeals against a suspension"}


def permission_rows() -> list[dict]:
    """Every named permission with the description generated from its checks (core.rules), by area."""
    from core.rules import REGISTRY

    return [{"area": title, "rules": [{"action": rule.action, "who": rule.description} for rule in REGISTRY[app]]}
            for app, title in PERMISSION_AREAS.items() if app in REGISTRY]


def dot_source() -> str:
    """Deterministic DOT: one cluster per state machine, states in order, edges sorted, labelled as the buttons, each
    with its conditions as a tooltip."""
    graph = graphviz.Digraph("casework", graph_attr={"rankdir": "TB", "fontname": "Liberation Sans",
                                                     "label": "Generated from escalation.models", "labelloc": "b"},
                             node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Liberation Sans"},
                             edge_attr={"fontname": "Liberation Sans", "fontsize": "10"})
    for field_name, (title, choices, fill) in MACHINES.items():
        with graph.subgraph(name=f"cluster_{field_name}") as sub:
            sub.attr(label=title, fontname="Liberation Sans")
            for value, label in choices.choices:
                sub.node(f"{field_name}.{value}", label, fillcolor=fill[value])
            for source, target, _name, label, conds, _who in _transitions(field_name):
                # The conditions show when the pointer rests on the arrow, as in the table under the diagram.
                when = {"tooltip": "Only when: " + "; ".join(conds)} if conds else {}
                sub.edge(f"{field_name}.{source}", f"{field_name}.{target}", label=label, **when)
    return graph.source


@functools.lru_cache(maxsize=1)
def svg() -> str:
    """SVG from Graphviz's `dot`; empty if Graphviz is not installed (the page then shows the tables only)."""
    if not shutil.which("dot"):
        return ""
    return graphviz.Source(dot_source()).pipe(format="svg", encoding="utf-8")
