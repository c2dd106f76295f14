"""Pages anyone may read without signing in (SPEC §2: published results only)."""

from django.shortcuts import render

from proposals.models import Competition


def landing(request):
    """Competitions announced to the public; drafts being set up stay private."""
    competitions = Competition.objects.exclude(status=Competition.Status.DRAFT).order_by("-year", "name")
    return render(request, "portal/public/landing.html", {"competitions": competitions})
