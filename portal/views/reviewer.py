"""Pages for reviewers (평가위원)."""

from django.shortcuts import render

from accounts.decorators import role_required
from accounts.roles import Role


@role_required(Role.REVIEWER)
def index(request):
    return render(request, "portal/review/index.html")
