"""What every page's frame shows (templates/base.html): who runs the site, the contact in the
footer, and the main menu of the signed-in person's role (KRDS header, main menu and footer)."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_of

# The main menu by role (SPEC §2): (label, URL name, URL namespaces that mark it current).
MY_REVIEWS = (_("My reviews"), "review:index", {"review"})
COMPETITIONS = (_("Competitions"), "official:index", {"official", "publication"})
ADMINISTRATION = (_("Administration"), "manage:index", {"manage"})
PUBLIC_RESULTS = (_("Published results"), "public-landing", {"public"})
MENUS = {
    Role.REVIEWER: (MY_REVIEWS, PUBLIC_RESULTS),
    Role.OFFICIAL: (COMPETITIONS, PUBLIC_RESULTS),
    Role.ADMIN: (ADMINISTRATION, COMPETITIONS, PUBLIC_RESULTS),
    None: (PUBLIC_RESULTS,),
}
PUBLIC_URL_NAMES = {"public-landing", "public-results"}


def site(request):
    return {
        "organization_name": settings.ORGANIZATION_NAME,
        "contact": {
            "department": settings.CONTACT_DEPARTMENT,
            "phone": settings.CONTACT_PHONE,
            "email": settings.CONTACT_EMAIL,
            "hours": settings.CONTACT_HOURS,
        },
        "main_menu": main_menu(request),
    }


def main_menu(request) -> list[dict]:
    """The links of the role's main menu, the current one marked."""
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    if match and match.url_name in PUBLIC_URL_NAMES:
        namespace = "public"
    return [
        {"label": label, "url": reverse(url_name), "current": namespace in namespaces}
        for label, url_name, namespaces in MENUS[role_of(getattr(request, "user", None))]
    ]
