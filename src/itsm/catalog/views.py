"""Web actions of the catalogue: the holiday banner's "add next year's official
arrangement" button (the calendars themselves are edited in the admin and the API)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import ngettext
from django.views import View

from itsm.core.views import SignedInMixin, next_page

from . import admin_services
from .forms import SeedYearForm


class SeedHolidaysView(SignedInMixin, View):
    """POST ``year`` (and ``next``): China's official arrangement of that year added to
    every calendar of the administrator that lacks it (``admin_services.
    seed_official_year``, audited per calendar); back to the page with the result.
    Calendar administrators only (403, the read-only auditor before the form is read);
    a malformed year is a 400."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SeedYearForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(" ".join(form.errors.get("year", [])),
                                          content_type="text/plain; charset=utf-8")
        year = form.cleaned_data["year"]
        try:
            results = admin_services.seed_official_year(actor=request.user, year=year)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            added = sum(result["added"] for result in results)
            messages.success(request, ngettext(
                "%(added)d public holidays and make-up working days of %(year)d were added "
                "to %(count)d calendar.",
                "%(added)d public holidays and make-up working days of %(year)d were added "
                "to %(count)d calendars.", len(results))
                % {"added": added, "year": year, "count": len(results)})
        return redirect(next_page(request))
