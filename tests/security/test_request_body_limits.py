"""Request bodies are limited by endpoint before anything reads them (issue 9 item 11): an
anonymous 300 MB POST to the sign-in form was accepted and spooled to disk.

The requests go through Django's handler as an app server hands them over: ``wsgi.input``
is a stream that makes up its bytes as they are read and counts them, so a 300 MB body costs
nothing unless someone reads it, and the test sees exactly how much was read. One test sends the
body over a real socket to the live server.
"""

import http.client
import io
import time
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.test import override_settings
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from proposals.models import ImportUpload
from tests.conftest import APPLICANTS_XLSX

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
REFUSED = "보낸 내용이 너무 많습니다"


def too_large_text(limit: str) -> str:
    return (
        f"이 화면으로는 {limit}까지 보낼 수 있습니다. 아무것도 받거나 저장하지 않았습니다. "
        "파일을 올리던 중이었다면 크기를 줄여 다시 시도해 주세요."
    )


class MadeUpBody(io.RawIOBase):
    """``size`` bytes of a form field (or endless), produced as they are read; counts them."""

    def __init__(self, size=None, prefix=b""):
        self.size, self.prefix, self.read_bytes = size, prefix, 0

    def _take(self, wanted):
        if wanted is None or wanted < 0:
            wanted = 1 << 20
        if self.size is not None:
            wanted = min(wanted, self.size - self.read_bytes)
        start = self.read_bytes
        self.read_bytes += wanted
        head = self.prefix[start : start + wanted]
        return head + b"a" * (wanted - len(head))

    def read(self, size=-1):
        return self._take(size)

    def readline(self, size=-1):
        return self._take(size)


def send(
    path, body, *, length=None, chunked=False, cookies="", content_type="application/x-www-form-urlencoded"
):
    """The response (status, cookies set, text) of one request through Django's request handler, from
    a WSGI environ as an app server builds it (the test client's handler: it leaves the test's
    database connection open and enforces CSRF here)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": content_type,
        "HTTP_COOKIE": cookies,
        "wsgi.input": body,
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    setup_testing_defaults(environ)
    response = ClientHandler(enforce_csrf_checks=True)(environ)
    return response.status_code, response.cookies, response.content.decode()


@pytest.fixture
def spool(tmp_path, settings):
    """Where Django would spool an uploaded file (nothing may land here)."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def login_url():
    return reverse("login")


def test_an_anonymous_300_mb_post_to_the_sign_in_form_is_refused_unread(spool):
    body = MadeUpBody(300 * MB)
    started = time.perf_counter()

    status, _cookies, page = send(
        login_url(), body, length=300 * MB, content_type="multipart/form-data; boundary=x"
    )

    assert status == 413
    assert REFUSED in page and escape(too_large_text("64 KB")) in page
    assert body.read_bytes == 0
    assert list(spool.iterdir()) == []
    assert time.perf_counter() - started < 2


def test_an_anonymous_chunked_body_is_read_only_to_one_byte_past_the_limit(spool):
    body = MadeUpBody(None)  # endless: no Content-Length, Transfer-Encoding: chunked

    status, _cookies, page = send(login_url(), body, chunked=True)

    assert status == 413 and REFUSED in page
    assert body.read_bytes == settings.REQUEST_MAX_BYTES_ANONYMOUS + 1
    assert list(spool.iterdir()) == []


def test_a_small_chunked_body_reaches_the_page(client, user_factory):
    """Below the limit a chunked body is handed on as read: a sign-in sent that way works."""
    user_factory(Role.REVIEWER, "chunked@example.kr")
    client.get(login_url())
    token = client.cookies["csrftoken"].value
    form = f"csrfmiddlewaretoken={token}&username=chunked%40example.kr&password=pw-test-1234".encode()

    status, cookies, _page = send(
        login_url(), MadeUpBody(len(form), form), chunked=True, cookies=f"csrftoken={token}"
    )

    assert status == 302, _page[:500]
    assert cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
def test_a_300_mb_post_over_a_socket_is_answered_413_at_once(live_server):
    """Headers announcing 300 MB and the first 64 KB of the body: the answer comes at once."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port, timeout=10)
    try:
        connection.putrequest("POST", login_url())
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(300 * MB))
        connection.endheaders(b"--x\r\n" + b"a" * 65536)
        response = connection.getresponse()
        page = response.read().decode()
    finally:
        connection.close()
    assert response.status == 413 and REFUSED in page
    assert time.perf_counter() - started < 5


@pytest.fixture
def as_admin(client, user_factory):
    client.force_login(user_factory(Role.ADMIN, "admin-limits"))
    return client


def session_cookie(client) -> str:
    return f"sessionid={client.cookies['sessionid'].value}"


def test_a_signed_in_page_takes_more_but_not_without_limit(as_admin, competition, spool):
    url = reverse("manage:index")
    within = MadeUpBody(settings.REQUEST_MAX_BYTES_SIGNED_IN)
    status, _cookies, _page = send(url, within, length=within.size, cookies=session_cookie(as_admin))
    assert status != 413  # the page's own answer (it takes no POST)

    beyond = MadeUpBody(settings.REQUEST_MAX_BYTES_SIGNED_IN + 1)
    status, _cookies, page = send(url, beyond, length=beyond.size, cookies=session_cookie(as_admin))
    assert status == 413 and escape(too_large_text("2.5 MB")) in page
    assert beyond.read_bytes == 0


def test_the_upload_page_takes_the_import_limit_plus_the_form(as_admin, competition, spool):
    url = reverse("manage:import-proposals", args=[competition.slug])
    size = settings.IMPORT_MAX_BYTES + 300 * 1024
    body = MadeUpBody(size)

    status, _cookies, page = send(
        url,
        body,
        length=size,
        cookies=session_cookie(as_admin),
        content_type="multipart/form-data; boundary=x",
    )

    assert status == 413 and escape(too_large_text("20.2 MB")) in page
    assert body.read_bytes == 0 and list(spool.iterdir()) == []


def test_the_upload_page_refuses_a_large_body_from_a_visitor_not_signed_in(competition, spool):
    url = reverse("manage:import-proposals", args=[competition.slug])
    body = MadeUpBody(MB)

    status, _cookies, _page = send(url, body, length=MB, content_type="multipart/form-data; boundary=x")

    assert status == 413 and body.read_bytes == 0


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)  # the file is spooled, as a large one would be
def test_a_normal_upload_still_works(as_admin, competition, spool):
    with open(APPLICANTS_XLSX, "rb") as handle:
        response = as_admin.post(
            reverse("manage:import-proposals", args=[competition.slug]), {"file": handle}
        )

    assert response.status_code == 302
    assert ImportUpload.objects.get().summary["counts"]["new"] == 24
