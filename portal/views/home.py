from django.shortcuts import redirect

from accounts.roles import Role, role_of

START_PAGES = {
    Role.ADMIN: "manage:index",
    Role.OFFICIAL: "official:index",
    Role.REVIEWER: "review:index",
}


def home(request):
    """Send each role to its own start page; anonymous visitors to the public landing page."""
    role = role_of(request.user)
    return redirect(START_PAGES.get(role, "public-landing"))
