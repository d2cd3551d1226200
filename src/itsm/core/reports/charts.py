"""Charts drawn on the server as SVG (pygal), inline in a report's HTML: the page shows
them as they are and WeasyPrint draws them into the PDF (no script, no external file).

``bar_chart`` and ``line_chart`` take category labels and named series of numbers (None
where a value is missing) and return the SVG markup, or an empty string when no series
has a value: the template then says "No data" instead of drawing empty axes. Labels may
be Chinese (the Noto CJK fonts draw them); pygal escapes every text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

from django.utils.safestring import SafeString, mark_safe

#: The report fonts (Debian's fonts-noto-cjk), then what a browser has.
FONT_FAMILY = ('"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", '
               '"Microsoft YaHei", sans-serif')
#: Series colours (Bootstrap's blue, orange, green, purple, red, teal): also what the
#: PDF tests look for to find a drawn chart.
COLOURS = ("#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997")
#: Labels longer than this are cut (with "…") under the axis.
LABEL_CHARACTERS = 14

Series = Mapping[str, Sequence[float | None]]
SERIES_ID = re.compile(r'id="(activate-serie-[0-9]+)"')


@cache
def _style():
    from pygal.style import Style

    return Style(font_family=FONT_FAMILY, background="white", plot_background="white",
                 foreground="#212529", foreground_strong="#212529",
                 foreground_subtle="#adb5bd", colors=COLOURS, opacity="1",
                 guide_stroke_color="#dee2e6", major_guide_stroke_color="#ced4da",
                 guide_stroke_dasharray="3,3", major_guide_stroke_dasharray="3,3",
                 opacity_hover="1", label_font_size=11, major_label_font_size=11,
                 value_font_size=10, legend_font_size=11, title_font_size=13,
                 tooltip_font_size=11)


def has_values(series: Series) -> bool:
    return any(v is not None for values in series.values() for v in values)


def _formatter(unit: str):
    def format_value(value: float | None) -> str:
        if value is None:
            return ""
        return f"{value:g}{' ' + unit if unit and unit != '%' else unit}"

    return format_value


def _render(chart_class: str, labels: Sequence[str], series: Series, *, title: str,
            unit: str, width: int, height: int, **options) -> SafeString:
    if not has_values(series):
        return SafeString("")
    import pygal

    chart = getattr(pygal, chart_class)(
        style=_style(), width=width, height=height, js=[], disable_xml_declaration=True,
        show_legend=len(series) > 1, legend_at_bottom=True,
        legend_at_bottom_columns=min(len(series), 3),
        truncate_label=LABEL_CHARACTERS, truncate_legend=24,
        x_label_rotation=30 if len(labels) > 6 else 0, print_values=len(labels) <= 12,
        value_formatter=_formatter(unit), margin=10, margin_right=24, margin_bottom=14,
        spacing=10, **options)
    chart.title = title or None
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(str(name), [None if v is None else float(v) for v in values])
    svg = chart.render(is_unicode=True)
    # Ids unique on a page of several charts (pygal numbers its series alike in each).
    svg = SERIES_ID.sub(lambda m: f'id="{chart.uuid}-{m[1]}"', svg)
    # pygal builds the SVG as an element tree, which escapes every text it writes (labels
    # are names people typed: tested with markup in them); the markup is pygal's own.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703 - escaped by pygal's element tree


def bar_chart(labels: Sequence[str], series: Series, *, title: str = "", unit: str = "",
              max_value: float | None = None, width: int = 720, height: int = 300
              ) -> SafeString:
    """Bars per label, one colour per series; ``max_value`` fixes the scale (100 for
    percentages)."""
    options = {"range": (0, max_value)} if max_value is not None else {}
    return _render("Bar", labels, series, title=title, unit=unit, width=width,
                   height=height, **options)


def line_chart(labels: Sequence[str], series: Series, *, title: str = "", unit: str = "",
               max_value: float | None = None, width: int = 360, height: int = 220
               ) -> SafeString:
    """One line per series over the labels (months); a constant series draws a target;
    ``max_value`` fixes the scale from 0 (else it fits the values)."""
    options = {"range": (0, max_value)} if max_value is not None else {}
    return _render("Line", labels, series, title=title, unit=unit, width=width,
                   height=height, dots_size=3, allow_interruptions=True, **options)
