"""Risk over time as a server-rendered SVG (pygal), readable without JavaScript."""

import pygal
from django.utils import timezone
from pygal.style import Style

from concerns.models import RiskLevel
from core.dates import long_date

LEVEL_LABELS = ["Normal", "QA", "PPM", "JIMP", "SOSG"]

#: The Content-Security-Policy of a chart served as an SVG file: opened on its own, it may style itself and
#: nothing else (pygal adds an inline script of its settings; it never runs, and nothing is fetched).
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#0b0c0c", foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f", colors=("#1d70b8",), font_family="arial, 'Liberation Sans', sans-serif",
    label_font_size=14, major_label_font_size=14, title_font_size=16, value_font_size=14,
)


def risk_over_time_svg(assessments, title: str) -> str:
    """assessments oldest first. Returns inline SVG markup with a <title> for screen readers."""
    chart = pygal.DateLine(
        style=STYLE, width=720, height=300, show_legend=False, range=(0, 4), show_y_guides=True,
        disable_xml_declaration=True, js=[], title=title, x_label_rotation=30, dots_size=5,
        show_minor_x_labels=False, x_labels_major_count=6,
        x_value_formatter=long_date, margin=10, margin_right=50, truncate_label=-1,
    )
    chart.y_labels = [{"label": LEVEL_LABELS[i], "value": i} for i in range(5)]
    chart.add("Risk level", [
        {"value": (timezone.localtime(a.assessed_at).date(), RiskLevel.rank(a.level)),
         "label": a.get_level_display()} for a in assessments
    ])
    return chart.render(is_unicode=True)
