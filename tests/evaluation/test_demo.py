"""``manage.py demo``: the 2023 case end to end — the press release's six selected applicants,
5:1 and 3.5:1 — decided by the synthetic score files alone."""

import importlib.util
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from evaluation.models import Assignment, Conflict, Publication, Scoresheet
from evaluation.publication import verify
from evaluation.ranking import rank_competition
from proposals.models import AuditEntry, Competition, Proposal

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "smartcity-2023"
PRESS_RELEASE = {
    "hub": ["울산광역시", "고양시"],
    "climate": ["평택시", "목포시"],
    "depopulation": ["태안군", "아산시"],
}


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_reproduces_the_2023_result():
    text = run_demo()
    ranking = rank_competition(Competition.objects.get(slug="smartcity-2023"))
    tracks = {track.code: track for category in ranking.categories for track in category.tracks}
    selected = {
        code: [row.applicant for row in track.ranking if row.status == "selected"]
        for code, track in tracks.items()
    }
    assert selected == PRESS_RELEASE  # exactly these, in rank order
    assert {(c.code, c.applicants, c.slots, c.ratio) for c in ranking.categories} == {
        ("hub", 10, 2, "5:1"),
        ("small", 14, 4, "3.5:1"),
    }
    for track in tracks.values():
        statuses = [row.status for row in track.ranking]
        # Top 3 × 2 slots reached 발표평가; the rest did not advance.
        assert statuses.count("eliminated") == track.applicants - 6
        assert statuses[2] == "reserve"
        assert all(row.tie_break is None for row in track.ranking)  # the scores alone decide
    assert [row.status for row in tracks["hub"].ranking].count("below_minimum") == 1

    assert "거점형: 신청 10곳, 선정 2곳 — 경쟁률 5:1" in text
    assert "강소형: 신청 14곳, 선정 4곳 — 경쟁률 3.5:1" in text
    assert "  거점형: 울산광역시, 고양시" in text
    assert "  기후위기 대응형: 평택시, 목포시" in text
    assert "  지역소멸 대응형: 태안군, 아산시" in text
    assert re.search(r"^\s+1\s+\d+\.\d\d\s+선정\s+울산광역시$", text, re.MULTILINE)
    assert "admin / demo-admin-2023" in text
    assert "official / demo-official-2023" in text
    for path in ("/public/", "/official/", "/review/", "/manage/", "/admin/"):
        assert f"http://127.0.0.1:8000{path}" in text

    # Published once, verifiable, with the same outcome.
    publication = Publication.objects.get()
    assert publication.published_by.username == "official"
    assert verify(publication)[0]
    published = publication.snapshot["outcome"]["ranking"]
    assert {
        track["code"]: [row["applicant"] for row in track["ranking"] if row["status"] == "selected"]
        for category in published["categories"]
        for track in category["tracks"]
    } == PRESS_RELEASE

    # Every assigned sheet was imported, and the conflict (제척) held in both stages.
    conflict = Conflict.objects.get(
        reviewer__affiliation="울산대학교", proposal__applicant__name="울산광역시"
    )
    assert conflict.kind == Conflict.Kind.AUTOMATIC
    assert not Assignment.objects.filter(reviewer=conflict.reviewer, proposal=conflict.proposal).exists()
    assert "이해충돌로 배정하지 않음: 김민준 (울산대학교) — 울산광역시" in text
    # 서면평가: 10 hub × 7 members − 1 conflict, 14 small-but-strong × 8;
    # 발표평가: the 6 advancing per track, the same members (울산 again without the conflicted one).
    document = Assignment.objects.filter(stage__code="document")
    presentation = Assignment.objects.filter(stage__code="presentation")
    assert document.count() == 69 + 112
    assert presentation.count() == 6 * 7 - 1 + 12 * 8
    assert Scoresheet.objects.filter(status="submitted").count() == 181 + 137
    assert not Assignment.objects.filter(sheet__isnull=True).exists()
    ulsan = Proposal.objects.get(applicant__name="울산광역시")
    assert ulsan.assignments.filter(stage__code="document").count() == 6


def test_demo_twice_changes_nothing():
    run_demo()
    before = (
        Proposal.objects.count(),
        Assignment.objects.count(),
        list(Scoresheet.objects.order_by("pk").values_list("pk", "total", "version")),
        AuditEntry.objects.count(),
        Publication.objects.count(),
    )
    text = run_demo()
    after = (
        Proposal.objects.count(),
        Assignment.objects.count(),
        list(Scoresheet.objects.order_by("pk").values_list("pk", "total", "version")),
        AuditEntry.objects.count(),
        Publication.objects.count(),
    )
    assert after == before
    assert before[-1] == 1
    assert text.count("모든 행이 이미 최신입니다.") == 4  # applicants, reviewers, both score files
    assert "결과가 같아 다시 공개하지 않았습니다" in text


def _builder():
    spec = importlib.util.spec_from_file_location("build_scores", FIXTURES / "build_scores.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_score_files_are_what_the_builder_makes(tmp_path, monkeypatch, capsys):
    builder = _builder()
    outputs = {stage: tmp_path / path.name for stage, path in builder.OUTPUTS.items()}
    monkeypatch.setattr(builder, "OUTPUTS", outputs)
    builder.main()
    for stage, path in outputs.items():
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), f"rebuild {path.name}: {stage}"


def test_no_engine_module_names_a_winner():
    names = [name for names in PRESS_RELEASE.values() for name in names]
    evaluation = Path(settings.BASE_DIR) / "evaluation"
    for module in (
        "rules.py",
        "ranking.py",
        "queries.py",
        "demo.py",
        "assignments.py",
        "importing/scores.py",
    ):
        source = (evaluation / module).read_text(encoding="utf-8")
        assert not [name for name in names if name in source], module


def test_demo_sends_the_result_letters_once(mailoutbox, django_capture_on_commit_callbacks):
    from evaluation.models import ResultLetter

    with django_capture_on_commit_callbacks(execute=True):  # the e-mails go after the commit
        text = run_demo()
    letters = ResultLetter.objects.filter(revoked_at__isnull=True)
    assert letters.count() == Proposal.objects.count() == 24
    assert len(mailoutbox) == 24
    first = next(mail for mail in mailoutbox if mail.to == ["2023-h-01@demo.example.go.kr"])
    assert first.subject == "[2023년 스마트시티 조성사업] 평가결과 통보서"
    assert "http://127.0.0.1:8000/letters/" in first.body
    assert "평가결과 통보서 24건" in text
    assert "http://127.0.0.1:8000/official/smartcity-2023/analysis/" in text
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = run_demo()
    assert ResultLetter.objects.count() == 24 and not mailoutbox
    assert "제1차 공개의 평가결과 통보서는 이미 발급되었습니다" in again
