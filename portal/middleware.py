import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import OperationalError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers


class KoreanFirstLocaleMiddleware:
    """Korean unless the visitor chose another language with the switcher (its cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language header; a ministry
    service speaks Korean first to everyone, and English is a choice, not a guess.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class RequestBodyLimitMiddleware:
    """Refuse a request body larger than its endpoint allows, with 413 and a short page, before
    anything reads it (the CSRF check, the form parser, the upload handlers that spool files).

    The limit (config/settings.py, next to IMPORT_MAX_*): small for a visitor who is not signed in
    (the sign-in form, the language switcher), larger for signed-in pages, and on each upload page
    (``REQUEST_UPLOAD_VIEWS``: a spreadsheet, a document, a zip of documents) its file's limit plus
    the form around it. A body with a Content-Length is
    judged by it, unread. A body without one (``Transfer-Encoding: chunked``) is read up to one
    byte past the limit and refused there; a smaller one is handed on to the page as read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH")
        chunked = not length and request.META.get("HTTP_TRANSFER_ENCODING")
        if not length and not chunked:
            return self.get_response(request)  # no body: nothing to limit
        limit = body_limit(request)
        if length:
            try:
                too_large = int(length) > limit
            except ValueError:
                too_large = False  # Django reads no body for a Content-Length it cannot parse
            if too_large:
                return request_too_large(request, limit)
        else:
            body = request.environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return request_too_large(request, limit)
            # What was read becomes the request's body (Django reads none without a length).
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)


def body_limit(request) -> int:
    """Bytes a request's body may hold: by who is asking and which page."""
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        view_name = None
    if not request.user.is_authenticated:
        # The applicant's appeal through a result letter's link is the one upload without sign-in.
        return settings.REQUEST_ANONYMOUS_UPLOAD_VIEWS.get(view_name, settings.REQUEST_MAX_BYTES_ANONYMOUS)
    return settings.REQUEST_UPLOAD_VIEWS.get(view_name, settings.REQUEST_MAX_BYTES_SIGNED_IN)


def request_too_large(request, limit: int):
    return render(request, "portal/request_too_large.html", {"limit": _megabytes(limit)}, status=413)


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size / 1048576:,.1f} MB".replace(".0 MB", " MB")


class PrivatePagesMiddleware:
    """Nothing a signed-in user is shown is kept by a browser or a proxy: a shared office PC's
    back button after sign-out, or a caching proxy, must not reveal scores or rankings.
    (Static files never reach here: WhiteNoise answers them first.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class DatabaseBusyMiddleware:
    """A request that meets SQLite's write lock held past its timeout (a long import writing on
    another app server process) gets a short Korean page with 503 and ``Retry-After``, never a
    500: nothing it did was written (its transaction rolled back). The reviewer's sheet handles
    this itself, keeping every typed value (``evaluation.sheets.retried_when_busy``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError) and "database is locked" in str(exception):
            response = render(request, "portal/database_busy.html", status=503)
            response["Retry-After"] = "10"
            return response
        return None
