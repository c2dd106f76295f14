from io import StringIO

import pytest
from django.core.management import call_command

from proposals.models import Proposal

pytestmark = pytest.mark.django_db


def test_demo_loads_the_2023_case_and_prints_the_ratios():
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert Proposal.objects.count() == 24
    assert "거점형: 신청 10곳, 선정 2곳 — 경쟁률 5:1" in text
    assert "강소형: 신청 14곳, 선정 4곳 — 경쟁률 3.5:1" in text
    assert "admin / demo-admin-2023" in text


def test_demo_twice_changes_nothing():
    call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("demo", stdout=out)
    assert Proposal.objects.count() == 24
    assert "모든 행이 이미 최신입니다." in out.getvalue()
