from django.shortcuts import render

from proposals.models import Competition


def landing(request):
    competitions = Competition.objects.order_by("-year", "name")
    return render(request, "portal/public/landing.html", {"competitions": competitions})
