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


def test_demo_keeps_the_ulsan_university_member_off_ulsan():
    from evaluation.models import Assignment, Conflict

    out = StringIO()
    call_command("demo", stdout=out)
    conflict = Conflict.objects.get(
        reviewer__affiliation="울산대학교", proposal__applicant__name="울산광역시"
    )
    assert conflict.kind == Conflict.Kind.AUTOMATIC
    assert not Assignment.objects.filter(reviewer=conflict.reviewer, proposal=conflict.proposal).exists()
    assert Assignment.objects.filter(reviewer=conflict.reviewer, proposal__track__code="hub").count() == 9
    assert "이해충돌로 배정하지 않음: 김민준 (울산대학교) — 울산광역시" in out.getvalue()
    # 10 hub proposals × 7 members − 1 conflict, and 14 small-but-strong proposals × 8 members
    assert Assignment.objects.count() == 69 + 112
