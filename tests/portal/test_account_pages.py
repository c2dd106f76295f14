"""Accounts of officials and reviewers on the web: created with a role, the person sets the
password from an e-mailed link (Korean), and the set-password page itself."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from evaluation.models import Reviewer
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

URL = "/manage/accounts/"


def users():
    return list(get_user_model().objects.order_by("pk").values_list("username", "email", "password"))


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_an_official_account_gets_a_korean_set_password_email(admin_client, client, settings):
    settings.SITE_URL = "https://gongmo.example.go.kr"
    response = admin_client.post(
        URL, {"role": "official", "name": "박담당", "email": "Park@Example.go.kr", "username": "park"}
    )
    assert response.status_code == 302 and response.url == URL
    user = get_user_model().objects.get(username="park")
    assert role_of(user) == Role.OFFICIAL
    assert (user.email, user.first_name, user.has_usable_password()) == (
        "park@example.go.kr",
        "박담당",
        False,
    )

    [message] = mail.outbox
    assert message.to == ["park@example.go.kr"]
    assert message.subject == _("[%(organization)s] Set the password of your account") % {
        "organization": settings.ORGANIZATION_NAME
    }
    assert "박담당" in message.body and "park" in message.body
    assert str(Role.OFFICIAL.label) in message.body
    link = link_in(message)
    assert link.startswith("https://gongmo.example.go.kr/accounts/set-password/")

    page = admin_client.get(URL).content.decode()
    assert (
        escape(
            _(
                "Created the %(role)s account '%(username)s'. The link to set the password was sent to %(email)s."
            )
            % {"role": Role.OFFICIAL.label, "username": "park", "email": "park@example.go.kr"}
        )
        in page
    )

    # The person opens the link and chooses a password; it then signs them in, and the link is spent.
    path = link.removeprefix("https://gongmo.example.go.kr")
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    done = client.post(set_url, {"new_password1": "도시-평가-2026!x", "new_password2": "도시-평가-2026!x"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("도시-평가-2026!x")
    assert client.login(username="park", password="도시-평가-2026!x")
    client.logout()
    spent = client.get(path, follow=True)
    assert 'name="new_password1"' not in spent.content.decode()


def test_a_reviewer_account_is_named_by_its_email_and_tied_by_the_reviewer_list(admin_client, make_xlsx):
    admin_client.post(URL, {"role": "reviewer", "name": "김위원", "email": "kim@univ.ac.kr", "username": ""})
    user = get_user_model().objects.get(username="kim@univ.ac.kr")
    assert role_of(user) == Role.REVIEWER
    assert len(mail.outbox) == 1
    # The reviewer list names the e-mail: the import ties the reviewer to this account.
    call_command(
        "import_reviewers",
        str(
            make_xlsx(
                [["김위원", "한국대학교", "kim@univ.ac.kr", "", "Y"]],
                header=["성명", "소속", "이메일", "분야", "외부위원"],
            )
        ),
        stdout=StringIO(),
    )
    assert Reviewer.objects.get(email="kim@univ.ac.kr").user == user


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"role": "", "name": "박", "email": "p@example.kr", "username": "p"},
            "role",
            "Choose the role of the account.",
        ),
        (
            {"role": "official", "name": "", "email": "p@example.kr", "username": "p"},
            "name",
            "Give the person's name.",
        ),
        (
            {"role": "official", "name": "박", "email": "", "username": "p"},
            "email",
            "Give the e-mail address the link is sent to.",
        ),
        (
            {"role": "official", "name": "박", "email": "p@example.kr", "username": ""},
            "username",
            "Give a username.",
        ),
        (
            {"role": "official", "name": "박", "email": "not-mail", "username": "p"},
            "email",
            "Not an e-mail address: '%(value)s'",
        ),
        (
            {"role": "official", "name": "박", "email": "p@example.kr", "username": "박 담당"},
            "username",
            "The username '%(username)s' may hold only letters, digits and @ . + - _.",
        ),
        (
            {"role": "official", "name": "박", "email": "p@example.kr", "username": "ADMIN"},
            "username",
            "An account with the username '%(username)s' already exists.",
        ),
        (
            {"role": "reviewer", "name": "김", "email": "k@example.kr", "username": "kim"},
            "username",
            "A reviewer's username is their e-mail address; leave the username empty.",
        ),
        (
            {"role": "reviewer", "name": "김", "email": "ADMIN", "username": ""},
            "email",
            "Not an e-mail address: '%(value)s'",
        ),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_written(admin_client, data, field, message):
    before = users()
    response = admin_client.post(URL, data)
    assert response.status_code == 400
    page = response.content.decode()
    expected = (
        _(message) % {"value": data["email"].strip().lower(), "username": data["username"]}
        if "%(" in message
        else _(message)
    )
    assert escape(expected) in page
    assert f'id="id_{field}_error"' in page
    for key, value in data.items():  # the input is shown again
        if value and key != "role":
            assert f'value="{escape(value)}"' in page
    assert users() == before
    assert mail.outbox == []


def test_an_imported_reviewer_gets_the_link_from_the_list(admin_client):
    call_command("import_reviewers", str(FIXTURES / "reviewers.xlsx"), stdout=StringIO())
    reviewer = Reviewer.objects.get(email="reviewer01@example.com")
    page = admin_client.get(URL).content.decode()
    assert reviewer.affiliation in page and escape(_("Not set yet")) in page
    response = admin_client.post(reverse("manage:account-send-link", args=[reviewer.user_id]))
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["reviewer01@example.com"] and str(Role.REVIEWER.label) in message.body


def test_no_link_for_an_admin_account(admin_client, admin_user):
    response = admin_client.post(reverse("manage:account-send-link", args=[admin_user.pk]))
    assert response.status_code == 404
    assert mail.outbox == []


def test_a_mail_server_that_refuses_is_said_and_the_account_stays(admin_client, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.evaluation.failing_mail.EmailBackend"}}
    response = admin_client.post(
        URL,
        {"role": "official", "name": "박담당", "email": "park@example.go.kr", "username": "park"},
        follow=True,
    )
    assert get_user_model().objects.filter(username="park").exists()
    page = response.content.decode()
    assert (
        escape(
            _(
                "The account '%(username)s' exists, but the e-mail with the link to %(email)s could "
                "not be sent (%(error)s). Send the link again from the list below."
            )
            % {"username": "park", "email": "park@example.go.kr", "error": "(421, '서버 연결 거부')"}
        )
        in page
    )


def test_the_list_shows_fifty_accounts_a_page_with_few_queries(
    admin_client, user_factory, django_assert_max_num_queries
):
    """A shared reviewer pool holds hundreds of accounts: the list is paged, and a page costs the
    same whatever the pool's size."""
    for number in range(60):
        user_factory(Role.REVIEWER, f"pool{number:03d}@example.kr")
    with django_assert_max_num_queries(12):
        first = admin_client.get(reverse("manage:accounts")).content.decode()
    second = admin_client.get(reverse("manage:accounts") + "?page=2").content.decode()
    assert (
        "pool000@example.kr" in first and "pool049@example.kr" in first and "pool050@example.kr" not in first
    )
    assert (
        "pool050@example.kr" in second
        and "pool059@example.kr" in second
        and "pool000@example.kr" not in second
    )
