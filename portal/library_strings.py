"""Strings shown by third-party libraries that ship no Korean translation.

Marked here so `make messages` collects them into our catalogue (locale/ko), which Django
consults before the libraries' own (LOCALE_PATHS comes first).
"""

from django.utils.translation import gettext_noop

DJANGO_TABLES2 = (
    gettext_noop("previous"),
    gettext_noop("next"),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
)
