"""Pages for officials (담당 공무원)."""

from django.shortcuts import render

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.queries import competition_overview
from proposals.models import Competition


@role_required(Role.OFFICIAL, Role.ADMIN)
def index(request):
    competitions = [
        (competition, competition_overview(competition))
        for competition in Competition.objects.order_by("-year", "slug")
    ]
    return render(request, "portal/official/index.html", {"competitions": competitions})
