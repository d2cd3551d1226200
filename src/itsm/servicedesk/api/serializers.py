from itsm.core.api.serializers import RecordSerializer

from ..models import ServiceRequest


class ServiceRequestSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = ServiceRequest
        fields = [*RecordSerializer.Meta.fields, "category", "channel", "resolution",
                  "resolved_at", "closed_at"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "resolution",
                            "resolved_at", "closed_at"]
