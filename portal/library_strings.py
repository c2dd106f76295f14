"""Strings shown by third-party libraries that ship no Korean translation.

Marked here so `make messages` collects them into our catalogue (locale/ko), which Django
consults before the libraries' own (LOCALE_PATHS comes first).
"""

from django.utils.translation import gettext_noop, ngettext

DJANGO_TABLES2 = (
    gettext_noop("previous"),
    gettext_noop("next"),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
)

# Django's own Korean catalogue leaves some strings untranslated ("- Select an option -") or writes
# particles as fallbacks ("사용자 이름와(과)", "%(items)s을(를)"). Our catalogue comes first
# (LOCALE_PATHS), so these read as Korean sentences instead.
DJANGO = (
    gettext_noop("- Select an option -"),
    gettext_noop(
        "Please enter a correct %(username)s and password. Note that both fields may be case-sensitive."
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Ensure this value is %(limit_value)s (it is %(show_value)s)."),
    gettext_noop("%(model_name)s with this %(field_labels)s already exists."),
    gettext_noop("%(model_name)s with this %(field_label)s already exists."),
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("%(field_label)s must be unique for %(date_field_label)s %(lookup_type)s."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop(
        "%(datetime)s couldn’t be interpreted in time zone %(current_timezone)s; it may be ambiguous or it may not exist."
    ),
    gettext_noop("No %(verbose_name_plural)s available"),
    gettext_noop("No %(verbose_name)s found matching the query"),
    gettext_noop("Successfully deleted %(count)d %(items)s."),
    gettext_noop("Cannot delete %(name)s"),
    gettext_noop("Changed {fields}."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    gettext_noop(
        "Deleting %(class_name)s %(instance)s would require deleting the following protected related objects: %(related_objects)s"
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would result in deleting related objects, but your account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(" By %(filter_title)s "),
    gettext_noop(
        "You are authenticated as %(username)s, but are not authorized to access this page. Would you like to login to a different account?"
    ),
)


def _django_plurals(count):
    """Never called: marks Django admin's plural message for the catalogue."""
    return ngettext(
        "%(count)s %(name)s was changed successfully.", "%(count)s %(name)s were changed successfully.", count
    )
