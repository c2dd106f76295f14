"""Forms of the proposal document pages (/manage/): one document, a replacement, a removal, and a
zip of many. The file checks themselves are ``proposals.documents``'; these only carry the input."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from proposals.documents.bundles import zip_too_large
from proposals.models import ProposalDocument

REASON_REQUIRED = gettext_lazy(
    "Write the reason for the change; it is kept in the audit trail with your name."
)


REASON_LABEL = gettext_lazy("Reason for the change")


def _reason_field(label=REASON_LABEL):
    return forms.CharField(
        label=label,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept in the audit trail with your name."),
        error_messages={"required": REASON_REQUIRED},
    )


def _file_field(label, accept):
    return forms.FileField(
        label=label,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
        error_messages={
            "required": gettext_lazy("Choose a file to upload."),
            "empty": gettext_lazy("The file is empty (0 bytes). Upload the file with its content."),
        },
    )


def _check_size(upload, limit, message):
    if upload is not None and upload.size > limit:
        raise forms.ValidationError(message, code="too_large")
    return upload


def _too_large(size: int) -> str:
    return _("The file is too large (%(size)s MB). A document may be at most %(limit)s MB.") % {
        "size": f"{size / 1048576:,.1f}",
        "limit": f"{settings.DOCUMENT_MAX_BYTES / 1048576:,.0f}",
    }


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=ProposalDocument.Kind.choices,
        initial=ProposalDocument.Kind.PLAN,
        widget=forms.RadioSelect,
    )
    file = _file_field(gettext_lazy("File"), ".pdf,.hwp,.hwpx,.docx,.xlsx,.pptx,.jpg,.jpeg,.png")
    reason = _reason_field()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        return _check_size(upload, settings.DOCUMENT_MAX_BYTES, _too_large(upload.size))


class DocumentReplaceForm(forms.Form):
    file = _file_field(gettext_lazy("New file"), ".pdf,.hwp,.hwpx,.docx,.xlsx,.pptx,.jpg,.jpeg,.png")
    reason = _reason_field()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        return _check_size(upload, settings.DOCUMENT_MAX_BYTES, _too_large(upload.size))


class DocumentDeleteForm(forms.Form):
    reason = _reason_field(gettext_lazy("Reason for deleting"))


class BundleUploadForm(forms.Form):
    file = _file_field(gettext_lazy("Zip of documents (.zip)"), ".zip")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        return _check_size(upload, settings.DOCUMENT_ZIP_MAX_BYTES, zip_too_large(upload.size))


class BundleConfirmForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = _reason_field()
