"""SLA clocks on the pages: working time left on the clock's calendar, in the reader's
language, paused clocks, and the explanation naming the priority."""

# covers: SLM-6, SLM-7

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from itsm.core import services
from itsm.servicedesk import sla
from itsm.servicedesk.templatetags.sla import duration_formats, sla_sentences

from .test_sla import STANDARD, at, clock, policy, raise_ticket, step

pytestmark = pytest.mark.django_db


def speak(world, language: str, username: str = "agent") -> None:
    profile = world.users[username].profile
    profile.language = language
    profile.save()


def page_at(world, when: str, path: str, username: str = "agent") -> str:
    with time_machine.travel(at(when), tick=False):
        client = Client()
        client.force_login(world.users[username])
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def left_text(page: str, kind: str) -> str:
    """The countdown (or paused) text of one clock on a ticket's page."""
    card = page.split(f'data-clock="{kind}"', 1)[1]
    return re.search(r'class="sla-(?:countdown|paused)[^"]*"[^>]*>([^<]*)<', card).group(1)


def countdown_attribute(page: str, kind: str, name: str) -> str:
    card = page.split(f'data-clock="{kind}"', 1)[1]
    return re.search(rf'class="sla-countdown[^>]*{name}="([^"]*)"', card).group(1)


@pytest.fixture
def monday_ticket(world):
    """Raised on Monday 2025-09-22 at 16:00 on 09:00–18:00: response due 17:00 the same
    day, resolution (4 h) due Tuesday 11:00."""
    policy(world, STANDARD, response=60, resolution=240)
    return raise_ticket(world, "2025-09-22 16:00")


def test_the_countdown_is_working_time_in_english(world, monday_ticket):
    speak(world, "en")
    page = page_at(world, "2025-09-22 17:10", monday_ticket.get_absolute_url())
    # 50 min on Monday and 2 h on Tuesday: not the 17 h 50 min of the calendar
    assert left_text(page, "resolution") == "2 h 50 min of working time left"
    assert left_text(page, "response") == "10 min of working time overdue"
    assert countdown_attribute(page, "resolution", "data-seconds") == str(170 * 60)
    # the script advances it only inside these windows (seconds after the render)
    windows = countdown_attribute(page, "resolution", "data-windows")
    assert windows.startswith("[[0, 3000], [57000, 89400], [143400, 175800]")
    assert countdown_attribute(page, "resolution", "data-hm") == "{h} h {m} min"

    night = page_at(world, "2025-09-22 23:30", monday_ticket.get_absolute_url())
    assert left_text(night, "resolution") == "2 h of working time left"
    assert left_text(night, "response") == "1 h of working time overdue"


def test_the_countdown_in_chinese(world, monday_ticket):
    page = page_at(world, "2025-09-22 17:10", monday_ticket.get_absolute_url())
    assert left_text(page, "resolution") == "剩余工作时间 2 小时 50 分钟"
    assert "10 分钟" in left_text(page, "response")
    assert countdown_attribute(page, "resolution", "data-hm") == "{h} 小时 {m} 分钟"
    assert " h " not in left_text(page, "resolution")


def test_a_paused_clock_shows_paused_with_the_working_time_left(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:30", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-22 10:00", "ask_customer", comment="请提供截图")
    speak(world, "en")
    page = page_at(world, "2025-09-23 15:00", ticket.get_absolute_url())
    assert left_text(page, "resolution") == "Paused, 3 h of working time left"
    speak(world, "zh-hans")
    page = page_at(world, "2025-09-24 10:00", ticket.get_absolute_url())
    assert left_text(page, "resolution") == "已暂停，剩余工作时间 3 小时"


def test_a_clock_derived_before_the_used_time_was_recorded_gives_the_same_time_left(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:30", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-22 10:20", "ask_customer", comment="请提供截图")
    paused = clock(ticket, "resolution")
    now = at("2025-09-25 12:00")
    assert sla.working_time_left(paused, now).total_seconds() == 160 * 60    # 4 h − 80 min
    del paused.explanation["used_seconds"]
    assert sla.working_time_left(paused, now).total_seconds() == 160 * 60


def test_stopped_clocks_have_no_countdown(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:10", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-22 10:00", "resolve", resolution="已更换硒鼓")
    assert sla.working_time_left(clock(ticket, "resolution"), at("2025-09-22 11:00")) is None
    page = page_at(world, "2025-09-22 11:00", ticket.get_absolute_url())
    assert 'class="sla-countdown' not in page.split('id="sla"', 1)[1]


def test_the_list_counts_down_working_time(world, monday_ticket):
    speak(world, "en")
    page = page_at(world, "2025-09-22 23:30", "/requests/")
    assert ">2 h of working time left<" in page


@pytest.mark.parametrize(("language", "expected"), [
    ("en", {"hm": "{h} h {m} min", "h": "{h} h", "m": "{m} min"}),
    ("zh-hans", {"hm": "{h} 小时 {m} 分钟", "h": "{h} 小时", "m": "{m} 分钟"}),
])
def test_the_script_gets_the_duration_formats_of_the_language(language, expected):
    with translation.override(language):
        assert duration_formats() == expected


def test_the_explanation_names_the_priority(world, monday_ticket):
    with time_machine.travel(at("2025-09-22 16:30"), tick=False):
        ticket = services.update_record(monday_ticket, actor=world.agent,
                                        changes={"priority": 2})
    resolution = clock(ticket, "resolution")
    with translation.override("en"):
        sentences = sla_sentences(resolution, ticket)
    assert any(s.startswith("Target for priority Important: 4 h of working time from "
                            "2025-09-22 16:00") for s in sentences)
    assert any("from General to Important" in s for s in sentences)
    with translation.override("zh-hans"):
        sentences = sla_sentences(resolution, ticket)
    assert any("重要" in s and "4 小时" in s for s in sentences)
    assert any("一般" in s and "重要" in s and "2025-09-22 16:30" in s for s in sentences)
