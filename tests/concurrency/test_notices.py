"""Two reminders at once (two officials, a double click that reached two app servers): one e-mail
(issue 10 §9). The first request stops inside ``evaluation.notices`` right after it locked the
reviewer's row and before it reads the notice log; the second must wait for that lock, then
finds the first's notice. Without the lock both read an empty log, and two notices go out."""

import pytest
from django.core import mail

from accounts.roles import Role
from evaluation import notices
from evaluation.models import Notice

from .conftest import waiting_for_lock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owing(stage, make_criteria, make_reviewer, make_proposal, make_assignment, user_factory):
    make_criteria(2)
    reviewer = make_reviewer("kim")
    with notices.paused():
        for _number in range(2):
            make_assignment(make_proposal(), reviewer)
    return {"stage": stage, "reviewer": reviewer, "official": user_factory(Role.OFFICIAL, "official-a")}


def test_two_reminders_at_once_send_one(owing, gate, workers):
    stage, official = owing["stage"], owing["official"]
    stop = gate(notices, "_recent")

    def click():
        return notices.remind(stage.competition, stage, actor=official)

    threads = workers(("click-1", click), ("click-2", click))
    stop.wait_entered()
    others = [thread for thread in threads if thread.name != stop.first_thread]
    waited = waiting_for_lock(*others)
    stop.release()
    outcomes = [thread.outcome() for thread in threads]

    assert waited and stop.overtaken == 0, "the second reminder did not wait for the first"
    assert sorted((len(o.queued), len(o.already)) for o in outcomes) == [(0, 1), (1, 0)]
    assert Notice.objects.count() == 1
    assert [message.to for message in mail.outbox] == [["kim@example.kr"]]
    assert Notice.objects.get().status == Notice.Status.SENT
