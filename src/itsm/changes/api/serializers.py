from itsm.catalog.models import Service
from itsm.core.api.serializers import RecordSerializer

from ..models import Change, ChangeBoard, ChangeTemplate

CHANGE_FIELDS = ["change_type", "template", "board", "services", "reason", "scope",
                 "expected_impact", "implementation_plan", "backout_plan", "test_plan",
                 "planned_start", "planned_end", "impact_business", "impact_technology",
                 "impact_security", "impact_cost", "likelihood", "impact", "risk_level",
                 "scale", "assessed_at", "approved_at", "actual_start", "actual_end",
                 "verification_function", "verification_performance",
                 "verification_security", "outcome", "review_findings", "closed_at"]


class ChangeSerializer(RecordSerializer):
    class Meta(RecordSerializer.Meta):
        model = Change
        fields = [*RecordSerializer.Meta.fields, *CHANGE_FIELDS]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "risk_level",
                            "assessed_at", "approved_at", "actual_start", "actual_end",
                            "closed_at"]

    def get_fields(self):
        fields = super().get_fields()
        if "request" in self.context:
            user = self.context["request"].user
            if "services" in fields:
                fields["services"].child_relation.queryset = Service.objects.visible_to(user)
            if "template" in fields:
                fields["template"].queryset = ChangeTemplate.objects.visible_to(user)
            if "board" in fields:
                fields["board"].queryset = ChangeBoard.objects.visible_to(user)
        return fields
