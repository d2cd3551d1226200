"""Mail sent to the complaints address becomes a complaint (channel email), not a
ticket; a reply naming the complaint's number is added to it."""

# covers: CPL-1

from __future__ import annotations

import base64

import pytest

from itsm.complaints.models import Complaint
from itsm.complaints.services import create_from_mail
from itsm.servicedesk.mailintake import intake
from itsm.servicedesk.models import ServiceRequest

ADDRESS = "tousu@itsm.example.cn"


@pytest.fixture
def route():
    intake.register_mail_route(ADDRESS, create_from_mail, Complaint)
    yield
    intake.MAIL_ROUTES.pop(ADDRESS, None)


def mail(to: str, subject: str, body: str, n: int) -> bytes:
    encoded = f"=?utf-8?B?{base64.b64encode(subject.encode()).decode()}?="
    head = (f"From: requester_a@example.cn\r\nTo: {to}\r\nSubject: {encoded}\r\n"
            f"Message-ID: <c{n}@mail.example.cn>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n")
    return head.encode() + base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")


def test_mail_to_the_complaints_address_becomes_a_complaint(cw, route,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        intake.process_message(mail(f"投诉 <{ADDRESS}>", "对服务台态度不满", "接线员态度很差", 1))
    complaint = Complaint.objects.get()
    assert complaint.channel == "email" and complaint.requester == cw.requester_a
    assert complaint.title == "对服务台态度不满" and not ServiceRequest.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        intake.process_message(mail(ADDRESS, f"Re: [{complaint.number}] 对服务台态度不满",
                                    "补充：电话录音可以提供", 2))
    assert Complaint.objects.count() == 1
    assert complaint.comments.filter(body__contains="电话录音").exists()
    # Mail to the service desk still becomes a service request.
    with django_capture_on_commit_callbacks(execute=True):
        intake.process_message(mail("desk@itsm.example.cn", "打印机卡纸", "三楼打印机", 3))
    assert ServiceRequest.objects.count() == 1 and Complaint.objects.count() == 1
