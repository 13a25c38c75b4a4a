"""The workflow diagram, generated from the state machine itself so it cannot disagree with the code."""

import functools
import shutil

import graphviz

from .models import EscalationCase, Level

FILL = {"qa": "#fff7bf", "ppm": "#fcd6c3", "jimp": "#f4cdc6", "sosg": "#e9d5f5", "closed": "#cce2d8",
        "provider_failure": "#f3f2f1"}


def _transitions():
    field = EscalationCase._meta.get_field("level")
    rows = []
    for t in field.get_all_transitions(EscalationCase):
        conditions = [c.__doc__.strip().splitlines()[0] if c.__doc__ else c.__name__ for c in t.conditions]
        rows.append((t.source, t.target, t.name, t.custom.get("label", t.name), conditions))
    order = [value for value, _ in Level.choices]
    return sorted(rows, key=lambda r: (order.index(r[0]), order.index(r[1])))


def transition_rows() -> list[dict]:
    names = dict(Level.choices)
    return [{"source": names[s], "target": names[t], "action": label, "conditions": conds}
            for s, t, _name, label, conds in _transitions()]


def dot_source() -> str:
    """Deterministic DOT: states in ladder order, edges sorted, labelled with the button text."""
    graph = graphviz.Digraph("escalation", graph_attr={"rankdir": "TB", "fontname": "Liberation Sans",
                                                       "label": "Escalation ladder (generated from escalation.models)",
                                                       "labelloc": "t"},
                             node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Liberation Sans"},
                             edge_attr={"fontname": "Liberation Sans", "fontsize": "10"})
    for value, label in Level.choices:
        graph.node(value, label, fillcolor=FILL[value])
    for source, target, _name, label, _conds in _transitions():
        graph.edge(source, target, label=label)
    return graph.source


@functools.lru_cache(maxsize=1)
def svg() -> str:
    """SVG from Graphviz's `dot`; empty if Graphviz is not installed (the page then shows the table only)."""
    if not shutil.which("dot"):
        return ""
    return graphviz.Source(dot_source()).pipe(format="svg", encoding="utf-8")
