import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ProgressField(forms.UUIDField):
    """The id of the progress record of the import the form starts (proposals.importing.progress):
    a new one each time the form is shown, so its page can poll the progress while it waits."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, initial=uuid.uuid4, **kwargs)

    def to_python(self, value):
        """Not an id (a page kept from an older version, or tampered with): no progress shown."""
        try:
            return super().to_python(value)
        except forms.ValidationError:
            return None


class SpreadsheetUploadForm(forms.Form):
    progress = ProgressField()
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        error_messages={"required": gettext_lazy("Choose a file to upload.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB). The limit is %(limit)s MB.")
                % {"size": f"{upload.size / 1048576:,.1f}", "limit": f"{limit / 1048576:,.0f}"},
                code="too_large",
            )
        return upload


class ConfirmImportForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    progress = ProgressField()
    after_publication = forms.BooleanField(
        label=gettext_lazy(
            "I understand that the result of this competition is already published and will need a "
            "correction after this import."
        ),
        required=False,
    )

    def __init__(self, *args, needs_confirmation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["after_publication"].required = needs_confirmation
        self.fields["after_publication"].error_messages["required"] = _(
            "The result of this competition is already published: tick the box to confirm that it "
            "will need a correction. Nothing was imported."
        )
