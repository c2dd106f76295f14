"""Error pages in Korean, in the site's layout, each with a way back (KRDS): 400, 403, 404, the
CSRF failure and 500 — production (DEBUG off) never shows Django's English pages.

config/urls.py names these as handler400/403/404/500 and settings.CSRF_FAILURE_VIEW. The 500 page
renders without the request's context processors and without the database (either may be what
failed): templates/500.html gets the organization and contact from settings alone, and if even
that template cannot be rendered, a short page written here is sent.
"""

import logging

from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


@requires_csrf_token
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def csrf_failure(request, reason=""):
    """A form sent without its security token (an expired page, cookies blocked): say so and how
    to send it again; nothing was saved."""
    return render(request, "403_csrf.html", status=403)


def server_error(request, *args, **kwargs):
    """Something failed, perhaps the database: no context processor, no query."""
    context = {
        "organization_name": settings.ORGANIZATION_NAME,
        "contact": {
            "department": settings.CONTACT_DEPARTMENT,
            "phone": settings.CONTACT_PHONE,
            "email": settings.CONTACT_EMAIL,
            "hours": settings.CONTACT_HOURS,
        },
    }
    try:
        return HttpResponseServerError(loader.get_template("500.html").render(context))
    except Exception:  # the page that reports a failure must not fail itself
        logger.exception("The 500 page could not be rendered; sending the plain page")
        return HttpResponseServerError(plain_server_error())


def plain_server_error() -> str:
    title = escape(_("A temporary error occurred"))
    text = escape(
        _(
            "The system could not finish your request because of an error on our side. Nothing you sent "
            "was saved. Please try again in a moment."
        )
    )
    back = escape(_("Go to the first page"))
    return (
        f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><main><h1>{title}</h1><p>{text}</p><p><a href="/">{back}</a></p></main></body></html>'
    )
