"""The shipped default questionnaire on the manuals' five dimensions (响应速度, 服务质量,
可靠性, 费用, 安全性) in zh-Hans and English. It has no provider (every provider's staff
may use it) and is created after every ``migrate`` and ``flush`` when missing, like core's
reference data; changing it makes a version of the changing provider's own."""

from __future__ import annotations

DEFAULT_CODE = "itss-satisfaction"
DEFAULT_TITLE = ("IT服务满意度调查", "IT service satisfaction survey")
DEFAULT_INTRODUCTION = (
    "感谢您抽出时间评价我们的服务。请按 1（非常不满意）到 5（非常满意）打分；"
    "不适用的问题请选择“不适用”。",
    "Thank you for taking the time to rate our service. Score each question from 1 (very "
    "dissatisfied) to 5 (very satisfied); choose “Not applicable” where it does not apply.")
DEFAULT_SECTIONS: list[dict] = [
    {"title": "服务评价", "title_en": "Service", "questions": [
        {"dimension": "response_speed", "title": "服务台响应您的请求是否及时？",
         "title_en": "Did the service desk respond to your requests in time?"},
        {"dimension": "service_quality", "title": "服务人员解决问题的质量如何？",
         "title_en": "How well did our staff solve your problems?"},
        {"dimension": "reliability", "title": "IT系统与服务运行是否稳定可靠？",
         "title_en": "Were the IT systems and services stable and reliable?"},
        {"dimension": "cost", "title": "服务费用是否合理？",
         "title_en": "Is the cost of the service reasonable?"},
        {"dimension": "security", "title": "您对信息安全保障是否满意？",
         "title_en": "Are you satisfied with how your information is kept secure?"},
    ]},
    {"title": "意见与建议", "title_en": "Comments", "questions": [
        {"kind": "text", "title": "您对我们的服务还有哪些意见或建议？",
         "title_en": "What else would you like to tell us about our service?",
         "required": False, "allow_not_applicable": False},
    ]},
]


def seed_default_questionnaire() -> None:
    """Create the shipped questionnaire if it is missing (after every ``migrate`` and
    ``flush``: ``receivers``). Not audited: reference data, like core's seed."""
    from .models import Question, Questionnaire, Section

    if Questionnaire.objects.filter(provider__isnull=True, code=DEFAULT_CODE).exists():
        return
    questionnaire = Questionnaire.objects.create(
        code=DEFAULT_CODE, version=1, title=DEFAULT_TITLE[0], title_en=DEFAULT_TITLE[1],
        introduction=DEFAULT_INTRODUCTION[0], introduction_en=DEFAULT_INTRODUCTION[1])
    for s_position, section in enumerate(DEFAULT_SECTIONS):
        row = Section.objects.create(questionnaire=questionnaire, position=s_position,
                                     title=section["title"], title_en=section["title_en"])
        Question.objects.bulk_create([Question(
            section=row, position=q_position, kind=question.get("kind", "likert"),
            title=question["title"], title_en=question["title_en"],
            dimension=question.get("dimension", ""),
            allow_not_applicable=question.get("allow_not_applicable", True),
            required=question.get("required", True))
            for q_position, question in enumerate(section["questions"])])


def default_questionnaire():
    """The shipped questionnaire's latest version (seeded if missing)."""
    from .models import Questionnaire

    seed_default_questionnaire()
    return (Questionnaire.objects.filter(provider__isnull=True, code=DEFAULT_CODE)
            .order_by("-version").first())
