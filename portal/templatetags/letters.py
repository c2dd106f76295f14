"""The result letter (portal/letters/_letter.html) from its frozen content alone: dates stored as
ISO text, the appeal deadline as a Korean notice writes it, the allowed grounds, and each
evaluator total's mark. Load with ``{% load letters %}``."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.appeals import deadline_text
from evaluation.models import Appeal

register = template.Library()


def _moment(value):
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


@register.filter
def iso_moment(value):
    """An ISO date-time of the letter's content as a datetime (local time), None if unreadable."""
    return _moment(value)


@register.filter
def appeal_until(value):
    """'2026-12-09 24:00': the last day appeals are received (``appeals.deadline_text``) from the
    deadline stored in the letter (the first moment after the window)."""
    moment = _moment(value)
    return deadline_text(moment) if moment and timezone.is_aware(moment) else ""


@register.simple_tag
def appeal_grounds():
    """The grounds an appeal may rest on (``Appeal.Ground``): [(value, label)]."""
    return list(Appeal.Ground.choices)


@register.filter
def marked_sheets(sheets):
    """The stage's evaluator totals (already highest first) with how each counted: ``mark`` is
    "kept", "high" (dropped as a highest total: 최고점) or "low" (as a lowest: 최저점), as the
    letter records it (``evaluation.letters``); ``mark_label`` says it in words (never by colour
    alone)."""
    labels = {"kept": _("Counted"), "high": _("Excluded (highest)"), "low": _("Excluded (lowest)")}
    return [
        {
            **sheet,
            "mark": sheet.get("dropped") or "kept",
            "mark_label": labels[sheet.get("dropped") or "kept"],
        }
        for sheet in sheets or []
    ]
