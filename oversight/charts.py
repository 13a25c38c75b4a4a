"""Board report charts as server-rendered SVG (pygal, as the risk chart): no JavaScript, and every chart has
the same figures in a table beside it."""

import math

import pygal
from pygal.style import Style

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#0b0c0c", foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f", font_family="arial, 'Liberation Sans', sans-serif",
    colors=("#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f", "#d4351c", "#28a197", "#b58840"),
    label_font_size=13, major_label_font_size=13, title_font_size=15, legend_font_size=13,
)


def bar_chart(report: dict) -> str:
    """Months along the bottom, one series a column (the last "Total" column is left out)."""
    columns = report["columns"][1:]
    if columns and columns[-1] == "Total":
        columns = columns[:-1]
    chart_class = pygal.StackedBar if report["chart"] == "stacked" else pygal.Bar
    chart = chart_class(style=STYLE, width=760, height=360, disable_xml_declaration=True, js=[],
                        title=report["title"], x_label_rotation=30, legend_at_bottom=True, legend_at_bottom_columns=4,
                        margin=10, truncate_legend=-1, print_values=False, show_y_guides=True)
    chart.x_labels = [row[0] for row in report["rows"]]
    top = max([sum(row[1:len(columns) + 1]) if report["chart"] == "stacked" else max(row[1:len(columns) + 1], default=0)
               for row in report["rows"]] or [0])
    step = max(1, math.ceil(top / 5))
    chart.range = (0, max(step * 5, 1))
    chart.y_labels = list(range(0, step * 5 + 1, step))  # counts: whole numbers only
    for i, name in enumerate(columns, start=1):
        chart.add(name, [row[i] for row in report["rows"]])
    return chart.render(is_unicode=True)
