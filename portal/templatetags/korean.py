"""Korean in templates: particles chosen by the word (proposals/korean.py) and dates with
seconds. Load with ``{% load korean %}``.

    {% blocktranslate with organization=name|josa:"은/는" %}{{ organization }} …{% endblocktranslate %}
"""

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from evaluation.rules import plain_number
from proposals.korean import with_particle
from proposals.models import track_display_name

register = template.Library()


@register.filter
def josa(word, pair):
    """``word`` with its particle in Korean ("이/가", "을/를", "은/는", "과/와", "(으)로"); the word
    alone in another language."""
    return with_particle(word, pair)


@register.filter
def in_category(track_name, category_name):
    """A track's name with its category's where they differ (``track_display_name``)."""
    return track_display_name(category_name, track_name)


@register.filter
def plain(value):
    """A rule's number without trailing zeros: 50.00 → 50, -1.50 → -1.5 (``rules.plain_number``)."""
    return "" if value is None or value == "" else plain_number(value)


@register.filter
def datetime_seconds(value):
    """A moment to the second, local time: 2026. 12. 1. 14:05:09 (the date in the language's
    DATE_FORMAT, config/formats)."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date_format(local, 'DATE_FORMAT')} {local:%H:%M:%S}"
