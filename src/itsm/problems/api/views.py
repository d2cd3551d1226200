from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from itsm.core import access
from itsm.core.api.views import RecordViewSet
from itsm.servicedesk.models import Incident

from .. import filtersets, models, resources, services
from . import serializers


def _incident_data(incident: Incident) -> dict:
    return {"id": incident.pk, "number": incident.number, "title": incident.title,
            "status": incident.status}


class ProblemViewSet(RecordViewSet):
    """Problems: CRUD, transitions, comments, attachments, timeline, export; filter
    ``known_error=true`` with ``q=`` for the known-error list."""

    queryset = models.Problem.objects.all()
    serializer_class = serializers.ProblemSerializer
    filterset_class = filtersets.ProblemFilterSet
    export_resource = resources.ProblemResource

    @extend_schema(methods=["get"], responses=serializers.LinkedIncidentSerializer(many=True))
    @extend_schema(methods=["post"], request=serializers.IncidentLinkSerializer,
                   responses={201: serializers.LinkedIncidentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def incidents(self, request, pk=None):
        """GET: the incidents this problem caused. POST ``{"incident": number or id}``:
        link an incident (service staff)."""
        problem = self.get_object()
        if request.method == "POST":
            if not access.is_staff_writer(request.user):
                raise PermissionDenied(_("Only service staff may link records."))
            body = serializers.IncidentLinkSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            ref = body.validated_data["incident"].strip()
            visible = Incident.objects.visible_to(request.user)
            incident = (visible.filter(pk=int(ref)) if ref.isdigit()
                        else visible.filter(number=ref.upper())).first()
            if incident is None:
                raise ValidationError({"incident": [_("No incident “%(ref)s” that you can "
                                                      "see.") % {"ref": ref}]})
            services.link_incident(problem, incident, actor=request.user)
            return Response(_incident_data(incident), status=status.HTTP_201_CREATED)
        return Response([_incident_data(i)
                         for i in services.incidents_of(problem, request.user)])
