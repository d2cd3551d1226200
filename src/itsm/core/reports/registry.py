"""The report registry: an app declares each of its reports once, in its
``registrations`` module, and gets the page, the PDF and XLSX downloads, the API, the
subscriptions and the archive from ``core.reports``.

A report is parameters → data → page/XLSX/PDF:

- ``form(data, *, user)`` is a Django form of the parameters (query-string values);
  invalid parameters are field errors (400), and a form may raise Http404 for an object
  the user may not see.
- ``build(params, user)`` turns the form's ``cleaned_data`` into the template's context.
  It must set ``period_label`` ("2026-10", "2026-Q3") and may set ``subtitle`` (a
  customer's name): both go into the PDF's running header and the file name.
- ``template`` renders the report's body, the same for the page and the PDF (charts
  from ``core.reports.charts`` inline as SVG); ``xlsx(context)`` returns a workbook's
  bytes; ``data(context)`` the JSON of the API (without it the API serves files only).
- ``periods``: the period kinds a subscription may send it for ("month", "quarter"),
  written into the form's ``period_field`` as "2026-10" or "2026-Q3".
- ``page_url_name``: the report has a page (and a JSON API at the same address) of its
  own app; ``core.reports`` then serves its files, subscriptions and archive only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import register_converter
from django.utils.functional import Promise

from .. import access

Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class Report:
    """A registered report (see the module's docstring)."""

    key: str
    title: Promise | str
    form: type
    build: Callable[[dict[str, Any], Any], dict[str, Any]]
    template: str
    xlsx: Callable[[dict[str, Any]], bytes] | None = None
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    visible: Predicate = access.is_provider_staff
    periods: tuple[str, ...] = ("month",)
    period_field: str = "month"
    description: Promise | str = ""
    page_url_name: str | None = None
    order: int = 100

    @property
    def formats(self) -> tuple[str, ...]:
        return ("pdf", "xlsx") if self.xlsx is not None else ("pdf",)


_REPORTS: dict[str, Report] = {}


def register_report(key: str, title: Promise | str, *, form: type,
                    build: Callable[[dict[str, Any], Any], dict[str, Any]], template: str,
                    xlsx: Callable[[dict[str, Any]], bytes] | None = None,
                    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                    visible: Predicate = access.is_provider_staff,
                    periods: tuple[str, ...] = ("month",), period_field: str = "month",
                    description: Promise | str = "", page_url_name: str | None = None,
                    order: int = 100) -> Report:
    """Declare a report (see :class:`Report`)."""
    unknown = set(periods) - {"month", "quarter"}
    if unknown:
        raise ValueError(f"Unknown period kinds {sorted(unknown)}: month or quarter")
    report = Report(key=key, title=title, form=form, build=build, template=template,
                    xlsx=xlsx, data=data, visible=visible, periods=tuple(periods),
                    period_field=period_field, description=description,
                    page_url_name=page_url_name, order=order)
    _REPORTS[key] = report
    return report


def unregister_report(key: str) -> None:
    """Forget a report (tests declare reports of their own)."""
    _REPORTS.pop(key, None)


def reports() -> list[Report]:
    """Every registered report, in order."""
    return sorted(_REPORTS.values(), key=lambda r: (r.order, r.key))


def report(key: str) -> Report:
    """The report registered as ``key`` (KeyError if none)."""
    return _REPORTS[key]


def reports_for(user) -> list[Report]:
    """The reports ``user`` may see, in order."""
    return [r for r in reports() if r.visible(user)]


def title_of(key: str) -> str:
    """The report's title, or its key when it is no longer registered."""
    found = _REPORTS.get(key)
    return str(found.title) if found is not None else key


class ReportKeyConverter:
    """``<report:key>`` in a URL: a registered report served by ``core.reports`` (one
    with a page of its own app is not matched, so that the app's route answers)."""

    regex = "[a-z0-9][a-z0-9-]{0,63}"

    def to_python(self, value: str) -> str:
        found = _REPORTS.get(value)
        if found is None or found.page_url_name:
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


class AnyReportKeyConverter(ReportKeyConverter):
    """``<any_report:key>``: any registered report (its downloads)."""

    def to_python(self, value: str) -> str:
        if value not in _REPORTS:
            raise ValueError(value)
        return value


register_converter(ReportKeyConverter, "report")
register_converter(AnyReportKeyConverter, "any_report")
