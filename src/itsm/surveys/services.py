"""The write path of surveys and feedback: questionnaires, campaigns, answers and the
feedback items that low scores open. Every function is atomic, checks who acts, and
audits; ``actor=None`` is the system (migrations, jobs, the signed link).

- Quality managers and administrators of a provider manage questionnaires and
  campaigns (:func:`can_manage`).
- :func:`launch_campaign` freezes the questionnaire, picks the recipients and gives each
  a single-use link (a random token; only its SHA-256 is stored).
- :func:`submit_response` stores one respondent's answers (from the link, the portal, or
  typed by staff with the interviewer recorded) and opens a feedback item when a rating
  is at or below :func:`score_threshold`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from itsm.core import access, audit, objects, services
from itsm.core.choices import AuditAction, NotificationEvent, OrganizationKind, Role
from itsm.core.models import Organization
from itsm.core.notifications.compose import notify
from itsm.servicedesk.models import Incident, ServiceRequest

from .choices import (
    STAFF_CHANNELS,
    CampaignStatus,
    FeedbackClass,
    FeedbackSource,
    QuestionKind,
    SurveyChannel,
)
from .models import (
    Answer,
    Campaign,
    FeedbackItem,
    Question,
    Questionnaire,
    Recipient,
    Section,
    SurveyResponse,
)

User = get_user_model()

#: Roles of provider staff that manage questionnaires and campaigns.
MANAGER_ROLES = (Role.QUALITY_MANAGER, Role.ADMINISTRATOR)
#: Roles of provider staff that read results across organizations.
RESULT_READER_ROLES = (Role.QUALITY_MANAGER, Role.MANAGEMENT, Role.ADMINISTRATOR,
                       Role.AUDITOR, Role.TEAM_LEAD)
#: Days back a "sample of recent requesters" looks for tickets.
RECENT_REQUESTER_DAYS = 180
MAX_TEXT_ANSWER = 5000
NOT_APPLICABLE = "na"


def score_threshold() -> int:
    """A rating at or below this opens a feedback item: ``ITSM_FEEDBACK_SCORE_THRESHOLD``
    (default 2) — for survey ratings and ticket ratings alike."""
    return settings.FEEDBACK_SCORE_THRESHOLD


def can_manage(user) -> bool:
    if user is None:
        return True
    return (access.is_provider_staff(user) and access.has_role(user, *MANAGER_ROLES)
            and not access.is_read_only(user))


def can_read_results(user) -> bool:
    return access.is_provider_staff(user) and access.has_role(user, *RESULT_READER_ROLES)


def require_manager(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only quality managers and administrators may manage "
                                 "questionnaires and survey campaigns."))


# --- Questionnaires -------------------------------------------------------------------


def _clean_sections(sections: Any) -> list[dict[str, Any]]:
    """The sections and questions of a questionnaire as sent: checked, normalised."""
    if not isinstance(sections, list) or not sections:
        raise ValidationError({"sections": _("Add at least one section with questions.")})
    errors: list[str] = []
    cleaned = []
    for s_index, section in enumerate(sections, 1):
        if not isinstance(section, dict) or not str(section.get("title", "")).strip():
            errors.append(_("Section %(n)d needs a title.") % {"n": s_index})
            continue
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            errors.append(_("Section %(n)d has no questions.") % {"n": s_index})
            continue
        rows = []
        for q_index, question in enumerate(questions, 1):
            where = {"s": s_index, "q": q_index}
            if not isinstance(question, dict) or not str(question.get("title", "")).strip():
                errors.append(_("Question %(s)d.%(q)d needs a text.") % where)
                continue
            kind = question.get("kind", QuestionKind.LIKERT)
            if kind not in QuestionKind.values:
                errors.append(_("Question %(s)d.%(q)d: unknown kind.") % where)
                continue
            options = question.get("options") or []
            if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and (
                    not isinstance(options, list) or len(options) < 2 or not all(
                        isinstance(o, dict) and str(o.get("value", "")).strip()
                        for o in options)):
                errors.append(_("Question %(s)d.%(q)d needs at least two options.") % where)
                continue
            dimension = str(question.get("dimension", "")).strip()
            if kind == QuestionKind.LIKERT and not dimension:
                errors.append(_("Question %(s)d.%(q)d needs a dimension.") % where)
                continue
            rows.append({
                "kind": kind, "title": str(question["title"]).strip()[:500],
                "title_en": str(question.get("title_en", "")).strip()[:500],
                "dimension": dimension[:50],
                "options": [{"value": str(o["value"])[:100], "label": str(o.get("label") or
                                                                           o["value"])[:200],
                             "label_en": str(o.get("label_en", ""))[:200]} for o in options]
                if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else [],
                "allow_not_applicable": bool(question.get("allow_not_applicable", True)),
                "required": bool(question.get("required", True))})
        cleaned.append({"title": str(section["title"]).strip()[:200],
                        "title_en": str(section.get("title_en", "")).strip()[:200],
                        "questions": rows})
    if errors:
        raise ValidationError({"sections": errors})
    return cleaned


def sections_of(questionnaire: Questionnaire) -> list[dict[str, Any]]:
    """The sections and questions as the API shows and takes them."""
    return [{"title": s.title, "title_en": s.title_en, "questions": [
        {"id": q.pk, "kind": q.kind, "title": q.title, "title_en": q.title_en,
         "dimension": q.dimension, "options": q.options,
         "allow_not_applicable": q.allow_not_applicable, "required": q.required}
        for q in s.questions.all()]}
        for s in questionnaire.sections.prefetch_related("questions")]


def _write_sections(questionnaire: Questionnaire, sections: list[dict[str, Any]]) -> None:
    questionnaire.sections.all().delete()
    for s_position, section in enumerate(sections):
        row = Section.objects.create(questionnaire=questionnaire, position=s_position,
                                     title=section["title"], title_en=section["title_en"])
        Question.objects.bulk_create([Question(section=row, position=q_position, **question)
                                      for q_position, question in
                                      enumerate(section["questions"])])


@transaction.atomic
def save_questionnaire(questionnaire: Questionnaire | None, *, actor,
                       data: dict[str, Any]) -> Questionnaire:
    """Create a questionnaire of the actor's provider, or change one; changing a frozen
    one (a campaign used it) creates the next version instead and leaves it as it was."""
    require_manager(actor)
    data = dict(data)
    sections = data.pop("sections", None)
    cleaned = _clean_sections(sections) if sections is not None else None
    data.pop("provider", None)
    if questionnaire is None:
        if cleaned is None:
            raise ValidationError({"sections": _("Add at least one section with questions.")})
        provider = access.organization_of(actor) if actor is not None else None
        data["provider"] = provider
        questionnaire = objects.save_object(Questionnaire, actor=actor, data=data,
                                            extra_changes={"sections": [None, cleaned]})
        _write_sections(questionnaire, cleaned)
        return questionnaire
    if questionnaire.frozen_at is not None or (
            questionnaire.provider_id is None and actor is not None):
        return _new_version(questionnaire, actor=actor, data=data,
                            sections=cleaned if cleaned is not None
                            else _clean_sections(sections_of(questionnaire)))
    extra = None
    if cleaned is not None:
        before = sections_of(questionnaire)
        for section in before:
            for question in section["questions"]:
                question.pop("id")
        if before != cleaned:
            extra = {"sections": [before, cleaned]}
            _write_sections(questionnaire, cleaned)
    return objects.save_object(questionnaire, actor=actor, data=data, extra_changes=extra)


def _new_version(old: Questionnaire, *, actor, data: dict[str, Any],
                 sections: list[dict[str, Any]]) -> Questionnaire:
    provider = access.organization_of(actor) if actor is not None else old.provider
    latest = (Questionnaire.objects.filter(provider=provider, code=old.code)
              .order_by("-version").values_list("version", flat=True).first() or 0)
    fields = {name: getattr(old, name) for name in ("code", "title", "title_en",
                                                    "introduction", "introduction_en",
                                                    "is_active")}
    new = objects.save_object(Questionnaire, actor=actor, data={
        **fields, **data, "provider": provider, "version": latest + 1},
        extra_changes={"sections": [None, sections], "previous_version": [None, old.pk]})
    _write_sections(new, sections)
    return new


def delete_questionnaire(questionnaire: Questionnaire, *, actor) -> None:
    require_manager(actor)
    if questionnaire.provider_id is None or questionnaire.frozen_at is not None:
        raise objects.InUseError(_("A shipped or used questionnaire cannot be deleted; make "
                                   "it inactive instead."))
    objects.delete_object(questionnaire, actor=actor)


# --- Campaigns ------------------------------------------------------------------------


def _check_campaign(campaign: Campaign, actor, many: dict[str, list]) -> None:
    campaign.full_clean()
    errors: dict[str, str] = {}
    if campaign.period_end < campaign.period_start:
        errors["period_end"] = _("The period ends before it starts.")
    if not campaign.channels or not isinstance(campaign.channels, list) or not set(
            campaign.channels) <= set(SurveyChannel.values):
        errors["channels"] = _("Choose one or more of: %(choices)s.") % {
            "choices": ", ".join(SurveyChannel.values)}
    provider_id = campaign.provider_id
    for org in many.get("organizations", []):
        if org.kind != OrganizationKind.CUSTOMER or org.provider_id != provider_id:
            errors["organizations"] = _("Choose customer organizations you serve.")
    for department in many.get("departments", []):
        if department.organization.provider_id != provider_id:
            errors["departments"] = _("Choose departments of customers you serve.")
    for person in many.get("people", []):
        org = access.organization_of(person)
        if org is None or org.provider_id != provider_id:
            errors["people"] = _("Choose people of customers you serve.")
    if campaign.questionnaire_id and campaign.questionnaire.provider_id not in (
            None, provider_id):
        errors["questionnaire"] = _("Choose one of your questionnaires.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_campaign(campaign: Campaign | None, *, actor, data: dict[str, Any]) -> Campaign:
    """Create a draft campaign of the actor's provider or change a draft one; a launched
    campaign only changes its name, close time and reminders."""
    require_manager(actor)
    data = dict(data)
    data.pop("provider", None)
    many = {name: list(data[name]) for name in ("organizations", "departments", "people")
            if name in data}
    if campaign is None:
        data["provider"] = access.organization_of(actor) if actor is not None \
            else data.get("questionnaire").provider
        target: Any = Campaign
    else:
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.DRAFT:
            frozen = set(data) - {"name", "closes_at", "reminder_days"}
            if frozen:
                raise ValidationError({name: _("A launched campaign keeps its targets and "
                                               "questionnaire.") for name in frozen})
        target = campaign

    def clean(instance: Campaign) -> None:
        _check_campaign(instance, actor, many)

    if campaign is None and data.get("provider") is None:
        raise ValidationError({"provider": _("Only provider staff may create campaigns.")})
    return objects.save_object(target, actor=actor, data=data, clean=clean)


def make_token() -> tuple[str, str]:
    """A new link token and the hash stored for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def answer_url(token: str) -> str:
    return reverse("surveys:answer", kwargs={"token": token})


def _targets(campaign: Campaign) -> list:
    """The people a campaign asks: those named, the active people of its departments and
    organizations (customer roles), or a sample of their recent requesters."""
    orgs = list(campaign.organizations.values_list("pk", flat=True))
    departments = list(campaign.departments.values_list("pk", flat=True))
    people = User.objects.filter(is_active=True, profile__isnull=False).select_related(
        "profile")
    named = set(campaign.people.values_list("pk", flat=True))
    wanted = Q(pk__in=named)
    if departments:
        wanted |= Q(profile__department_id__in=departments)
    elif orgs:
        wanted |= Q(profile__organization_id__in=orgs)
    chosen = people.filter(wanted, groups__name__in=[Role.REQUESTER, Role.CUSTOMER_ADMIN]
                           ).distinct().order_by("pk")
    if campaign.sample_size:
        since = timezone.now() - dt.timedelta(days=RECENT_REQUESTER_DAYS)
        recent: dict[int, dt.datetime] = {}
        for model in (ServiceRequest, Incident):
            for pk, at in (model.objects.filter(created_at__gte=since,
                                                requester_id__in=chosen.values("pk"))
                           .order_by().values_list("requester_id", "created_at")):
                recent[pk] = max(at, recent.get(pk, at))
        picked = sorted(recent, key=lambda pk: recent[pk], reverse=True)[:campaign.sample_size]
        chosen = chosen.filter(pk__in=picked)
    return list(chosen)


@transaction.atomic
def launch_campaign(campaign: Campaign, *, actor) -> dict[int, str]:
    """Open a draft campaign: freeze its questionnaire, create a recipient and a link per
    person and send the links (email; the IM robots get an announcement without links).
    Returns person id → link token (shown nowhere else; tests and the demo use it)."""
    require_manager(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("This campaign has already been launched."))
    if campaign.closes_at <= timezone.now():
        raise ValidationError({"closes_at": _("The close time has passed.")})
    people = _targets(campaign)
    if not people:
        raise ValidationError(_("The campaign's targets contain nobody to ask."))
    now = timezone.now()
    questionnaire = campaign.questionnaire
    if questionnaire.frozen_at is None:
        Questionnaire.objects.filter(pk=questionnaire.pk).update(frozen_at=now)
    tokens: dict[int, str] = {}
    rows = []
    for person in people:
        token, digest = make_token()
        tokens[person.pk] = token
        rows.append(Recipient(campaign=campaign, person=person, token_hash=digest,
                              organization_id=person.profile.organization_id,
                              department_id=person.profile.department_id, invited_at=now))
    Recipient.objects.bulk_create(rows)
    campaign.status, campaign.launched_at, campaign.launched_by = (
        CampaignStatus.OPEN, now, actor)
    campaign.save(update_fields=["status", "launched_at", "launched_by"])
    audit.log(action=AuditAction.UPDATE, instance=campaign, actor=actor,
              changes={"status": [CampaignStatus.DRAFT, CampaignStatus.OPEN],
                       "recipients": len(rows), "questionnaire": questionnaire.pk},
              organization_id=campaign.provider_id)
    _send_links(campaign, people, tokens)
    return tokens


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send_links(campaign: Campaign, people: Iterable, tokens: dict[int, str], *,
                reminder: bool = False) -> None:
    """One email per person with their own link, in their language; the provider's IM
    robots get one announcement (a personal link never goes to a group)."""
    channels = set(campaign.channels)
    if SurveyChannel.EMAIL in channels:
        for person in people:
            language = getattr(person.profile, "language", None) or settings.LANGUAGE_CODE
            with translation.override(language):
                subject = (_("Reminder: %(name)s") if reminder else _("Survey: %(name)s")) % {
                    "name": campaign.name}
                body = _("Please tell us how satisfied you are with our service. The "
                         "survey takes a few minutes and is open until %(closes)s:\n%(url)s"
                         ) % {"closes": timezone.localtime(campaign.closes_at)
                              .strftime("%Y-%m-%d %H:%M"),
                              "url": _absolute(answer_url(tokens[person.pk]))}
                notify(NotificationEvent.SATISFACTION_REQUEST, recipients=[person],
                       subject=subject, body=body, language=language)
    if SurveyChannel.IM in channels and not reminder:
        with translation.override(settings.LANGUAGE_CODE):
            notify(NotificationEvent.SATISFACTION_REQUEST,
                   organization_id=campaign.provider_id,
                   subject=_("Survey: %(name)s") % {"name": campaign.name},
                   body=_("The satisfaction survey “%(name)s” is open. Everyone asked has "
                          "received a personal link by email; you can also answer in the "
                          "service portal.") % {"name": campaign.name},
                   dedupe_key=f"survey:{campaign.pk}:im")


def remind_unanswered(now: dt.datetime | None = None) -> int:
    """The periodic reminder: recipients of open campaigns who have not answered and
    were not reminded (or invited) within the campaign's ``reminder_days`` get their
    link again (a new token: the old one is not kept). Returns how many."""
    now = now or timezone.now()
    count = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.OPEN, closes_at__gt=now,
                                            reminder_days__gt=0):
        due = now - dt.timedelta(days=campaign.reminder_days)
        with transaction.atomic():
            recipients = list(campaign.recipients.select_for_update(of=("self",)).filter(
                answered_at__isnull=True, invited_at__lte=due).filter(
                Q(reminded_at__isnull=True) | Q(reminded_at__lte=due)).select_related(
                "person__profile"))
            tokens = {}
            for recipient in recipients:
                token, recipient.token_hash = make_token()
                recipient.reminded_at = now
                tokens[recipient.person_id] = token
            Recipient.objects.bulk_update(recipients, ["token_hash", "reminded_at"])
            _send_links(campaign, [r.person for r in recipients], tokens, reminder=True)
        count += len(recipients)
    return count


@transaction.atomic
def close_campaign(campaign: Campaign, *, actor) -> Campaign:
    """Close an open campaign before its close time: its links stop working now, and its
    results are final (managers only)."""
    require_manager(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationError(_("Only an open campaign can be closed."))
    now = timezone.now()
    before = campaign.closes_at
    campaign.status, campaign.closes_at = CampaignStatus.CLOSED, min(campaign.closes_at, now)
    campaign.save(update_fields=["status", "closes_at"])
    audit.log(action=AuditAction.UPDATE, instance=campaign, actor=actor,
              changes={"status": [CampaignStatus.OPEN, CampaignStatus.CLOSED],
                       "closes_at": [before.isoformat(), campaign.closes_at.isoformat()]},
              organization_id=campaign.provider_id)
    return campaign


def close_due_campaigns(now: dt.datetime | None = None) -> int:
    """Campaigns past their close time are closed (their links stop working anyway)."""
    now = now or timezone.now()
    return Campaign.objects.filter(status=CampaignStatus.OPEN, closes_at__lte=now).update(
        status=CampaignStatus.CLOSED)


# --- Answers --------------------------------------------------------------------------


class SurveyLinkError(Exception):
    """A link that is unknown, used up, or past the campaign's close time."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def recipient_for_token(token: str) -> Recipient:
    """The recipient a link names, if it may still answer; else :class:`SurveyLinkError`."""
    recipient = (Recipient.objects.filter(token_hash=hash_token(token or ""))
                 .select_related("campaign__questionnaire", "person__profile").first())
    if recipient is None:
        raise SurveyLinkError(_("This survey link is not valid. Please use the link from "
                                "your latest email."), 404)
    check_may_answer(recipient)
    return recipient


def check_may_answer(recipient: Recipient) -> None:
    if recipient.answered_at is not None:
        raise SurveyLinkError(_("This survey has already been answered with this link. "
                                "Thank you!"), 410)
    if not recipient.campaign.is_open:
        raise SurveyLinkError(_("This survey is closed."), 410)


def open_recipient_for(user, campaign_id: int) -> Recipient | None:
    """The logged-in person's unanswered invitation to an open campaign (the portal)."""
    recipient = (Recipient.objects.filter(campaign_id=campaign_id, person_id=user.pk)
                 .select_related("campaign__questionnaire", "person__profile").first())
    return recipient


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    return list(Question.objects.filter(section__questionnaire=questionnaire)
                .select_related("section").order_by("section__position", "position", "pk"))


def _parse_answer(question: Question, value: Any) -> dict[str, Any] | str | None:
    """The Answer fields for ``value``, None when left empty, or an error message."""
    if value in (None, "", []):
        return None
    if value == NOT_APPLICABLE:
        if not question.allow_not_applicable:
            return _("“Not applicable” is not an answer to this question.")
        return {"not_applicable": True}
    if question.kind == QuestionKind.LIKERT:
        try:
            score = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            score = None
        if score is None or not 1 <= score <= 5 or str(value).strip() != str(score):
            return _("Choose a score from 1 to 5.")
        return {"score": score}
    allowed = {str(o["value"]) for o in question.options}
    if question.kind == QuestionKind.SINGLE:
        if not isinstance(value, str) or value not in allowed:
            return _("Choose one of the options.")
        return {"choices": [value]}
    if question.kind == QuestionKind.MULTIPLE:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v in allowed for v in values):
            return _("Choose among the options.")
        return {"choices": sorted(set(values))}
    if not isinstance(value, str):
        return _("Enter text.")
    if len(value) > MAX_TEXT_ANSWER:
        return _("The answer is longer than %(n)d characters.") % {"n": MAX_TEXT_ANSWER}
    return {"text": value.strip()}


def parse_answers(questionnaire: Questionnaire, values: dict[str, Any]
                  ) -> list[tuple[Question, dict[str, Any]]]:
    """Check ``values`` (question id as text → value) against the questionnaire; a
    ValidationError names each field ``q<id>``."""
    if not isinstance(values, dict):
        raise ValidationError({"answers": _("Send the answers as an object of question id → "
                                            "value.")})
    questions = questions_of(questionnaire)
    known = {str(q.pk) for q in questions}
    errors: dict[str, str] = {f"q{key}": _("Not a question of this survey.")
                              for key in values if str(key) not in known}
    parsed = []
    for question in questions:
        result = _parse_answer(question, values.get(str(question.pk)))
        if isinstance(result, str):
            errors[f"q{question.pk}"] = result
        elif result is None:
            if question.required:
                errors[f"q{question.pk}"] = _("Please answer this question.")
        else:
            parsed.append((question, result))
    if errors:
        raise ValidationError(errors)
    return parsed


@transaction.atomic
def submit_response(campaign: Campaign, *, values: dict[str, Any],
                    recipient: Recipient | None = None, channel: str = SurveyChannel.EMAIL,
                    actor=None, organization: Organization | None = None,
                    department=None, interviewer=None) -> SurveyResponse:
    """Store one respondent's answers.

    Through a link or the portal (``recipient``, ``actor`` the recipient or None), the
    link is used up. Typed by staff (``channel`` phone or interview, ``actor`` who types
    them in): for a recipient, or for someone of ``organization`` not asked by link;
    ``interviewer`` is who asked the questions (default: ``actor``), staff of the
    campaign's provider too — the audit entry keeps ``actor``.
    """
    campaign = Campaign.objects.select_for_update().select_related("questionnaire").get(
        pk=campaign.pk)
    staff_typed = channel in STAFF_CHANNELS

    def provider_staff(person) -> bool:
        return person is not None and access.is_staff_writer(person) and \
            access.provider_id_of(person) == campaign.provider_id

    if staff_typed:
        if not provider_staff(actor):
            raise PermissionDenied(_("Only service staff may type in answers given by "
                                     "phone or in an interview."))
        interviewer = interviewer or actor
        if not provider_staff(interviewer):
            raise ValidationError({"interviewer": _("Choose one of your service staff.")})
        if campaign.status == CampaignStatus.DRAFT:
            raise ValidationError(_("Launch the campaign first."))
    if recipient is not None:
        recipient = Recipient.objects.select_for_update().select_related(
            "person", "campaign").get(pk=recipient.pk)
        if recipient.campaign_id != campaign.pk:
            raise ValidationError({"recipient": _("Not a recipient of this campaign.")})
        if staff_typed:
            if recipient.answered_at is not None:
                raise ValidationError({"recipient": _("This recipient has already "
                                                      "answered.")})
        else:
            try:
                check_may_answer(recipient)
            except SurveyLinkError as exc:
                raise ValidationError(exc.message) from None
        organization_id, department_id = recipient.organization_id, recipient.department_id
        respondent = None if campaign.anonymous else recipient.person
    else:
        if not staff_typed or organization is None:
            raise ValidationError({"organization": _("Name the organization that answered.")})
        if organization.provider_id != campaign.provider_id:
            raise ValidationError({"organization": _("Choose a customer you serve.")})
        organization_id = organization.pk
        department_id = getattr(department, "pk", None)
        respondent = None
    parsed = parse_answers(campaign.questionnaire, values)
    now = timezone.now()
    response = SurveyResponse.objects.create(
        campaign=campaign, questionnaire=campaign.questionnaire,
        recipient=None if campaign.anonymous else recipient, respondent=respondent,
        organization_id=organization_id, department_id=department_id, channel=channel,
        interviewer=interviewer if staff_typed else None, submitted_at=now)
    Answer.objects.bulk_create([Answer(
        response=response, question=question, campaign=campaign,
        organization_id=organization_id, department_id=department_id,
        dimension=question.dimension, **fields) for question, fields in parsed])
    if recipient is not None:
        Recipient.objects.filter(pk=recipient.pk).update(answered_at=now)
    audit.log(action=AuditAction.CREATE, instance=response, actor=actor,
              changes={"campaign": campaign.pk, "channel": channel,
                       "answers": len(parsed),
                       "interviewer": interviewer.pk if staff_typed else None},
              organization_id=organization_id)
    low = [(q, f["score"]) for q, f in parsed
           if f.get("score") is not None and f["score"] <= score_threshold()]
    if low:
        _feedback_from_response(response, recipient, low)
    return response


def _requester_for(organization_id: int, person=None):
    """Whom a feedback item is for: the person (named answers, ratings), else a customer
    administrator of the organization (anonymous answers), else nobody."""
    if person is not None and getattr(access.organization_of(person), "pk", None) == \
            organization_id:
        return person
    return (User.objects.filter(is_active=True, profile__organization_id=organization_id,
                                groups__name=Role.CUSTOMER_ADMIN).order_by("pk").first())


def _feedback_from_response(response: SurveyResponse, recipient: Recipient | None,
                            low: list[tuple[Question, int]]) -> FeedbackItem | None:
    person = response.respondent or (recipient.person if recipient and not
                                     response.campaign.anonymous else None)
    requester = _requester_for(response.organization_id, person)
    if requester is None:
        return None
    lowest = min(score for _q, score in low)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Low survey score: %(campaign)s") % {"campaign": response.campaign.name}
        lines = [f"{q.title}: {score}" for q, score in low]
    return services.create_record(FeedbackItem, actor=None, data={
        "organization": response.organization, "requester": requester, "title": title[:200],
        "description": "\n".join(lines), "source": FeedbackSource.SURVEY,
        "classification": FeedbackClass.IMPORTANT if lowest <= 1 else FeedbackClass.GENERAL,
        "score": lowest, "survey_response": response})


def feedback_from_rating(rating) -> FeedbackItem | None:
    """A ticket rating at or below the threshold opens a feedback item for its rater
    (once per rating)."""
    if rating.score > score_threshold() or FeedbackItem.objects.filter(
            rating_id=rating.pk).exists():
        return None
    ticket = rating.record
    organization = Organization.objects.get(pk=rating.organization_id)
    requester = _requester_for(organization.pk, rating.rated_by or getattr(
        ticket, "requester", None))
    if requester is None:
        return None
    number = getattr(ticket, "number", "")
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Low rating of %(number)s") % {"number": number}
    return services.create_record(FeedbackItem, actor=None, data={
        "organization": organization, "requester": requester, "title": title[:200],
        "description": rating.comment or getattr(ticket, "title", ""),
        "source": FeedbackSource.RATING, "score": rating.score, "source_number": number,
        "rating_id": rating.pk,
        "classification": FeedbackClass.IMPORTANT if rating.score <= 1
        else FeedbackClass.GENERAL})
