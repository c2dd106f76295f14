import re
import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import ROLE_LABELS, Role
from accounts.users import AccountRequest, account_request_problems
from evaluation.rules import plain_number


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


class StageSpreadsheetUploadForm(SpreadsheetUploadForm):
    """A score spreadsheet: the stage its sheets belong to, then the file."""

    stage = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("Stage"),
        empty_label=None,
        error_messages={
            "required": gettext_lazy("Choose the stage the scores belong to."),
            "invalid_choice": gettext_lazy("Choose one of the stages of this competition."),
        },
    )
    field_order = ["progress", "stage", "file"]

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages
        self.fields["stage"].widget.attrs["class"] = "krds-form-select"


class CompetitionFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Competition file (.toml)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".toml"}),
        error_messages={"required": gettext_lazy("Choose a file to upload.")},
    )


class ConfirmUploadForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class DeleteCompetitionForm(forms.Form):
    slug = forms.CharField(
        label=gettext_lazy("Competition code, typed to confirm"),
        max_length=80,
        error_messages={"required": gettext_lazy("Type the competition's code to confirm.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for deleting"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Give the reason for deleting the competition.")},
    )

    def __init__(self, *args, slug: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "krds-input"
        self.fields["slug"].help_text = _("Type %(slug)s to confirm.") % {"slug": slug}
        self.fields["slug"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})


class AccountForm(forms.Form):
    """A new official or reviewer account; the person sets the password from an e-mailed link.
    A reviewer's username is their e-mail: the reviewer list (import_reviewers) ties the account
    to the reviewer with that e-mail, as for ``create_user``."""

    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[
            (Role.OFFICIAL.value, ROLE_LABELS[Role.OFFICIAL]),
            (Role.REVIEWER.value, ROLE_LABELS[Role.REVIEWER]),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the role of the account.")},
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=150,
        error_messages={"required": gettext_lazy("Give the person's name.")},
    )
    email = forms.CharField(
        label=gettext_lazy("E-mail"),
        max_length=150,
        help_text=gettext_lazy("The link to set the password is sent to this address."),
        error_messages={"required": gettext_lazy("Give the e-mail address the link is sent to.")},
    )
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        required=False,
        help_text=gettext_lazy(
            "Officials: the sign-in name. Reviewers: leave it empty; their e-mail is their username."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "email", "username"):
            self.fields[name].widget.attrs["class"] = "krds-input"
        self.fields["email"].widget.input_type = "email"
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean(self):
        """The account request, checked by ``accounts.users`` (each problem next to its input)."""
        data = super().clean()
        role, email, name = data.get("role"), data.get("email", "").strip().lower(), data.get("name", "")
        if not role or not email:
            return data
        username = data.get("username", "").strip()
        if role == Role.REVIEWER:
            if username and username.lower() != email:
                self.add_error(
                    "username",
                    _("A reviewer's username is their e-mail address; leave the username empty."),
                )
                return data
            username = email
        request = AccountRequest(username=username, role=Role(role), email=email, name=name)
        for field, messages in account_request_problems(request).items():
            # A reviewer's username is the e-mail they typed: its problems belong to that input.
            self.add_error("email" if role == Role.REVIEWER else field, messages)
        data["request"] = request
        return data


NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


class CompetitionEntryForm(forms.Form):
    """One entry of a competition file (the competition, a category, a track, a stage, a
    criterion or a bonus/penalty item) as a form: each key a text input holding the file's value. Nothing is checked here:
    ``entry_values`` turns the inputs into the file's values and the loader checks them, so the
    messages are ``load_competition``'s (``CompetitionFileError``), each shown at its key's input.

    ``keys``: (key, label, kind) with kind "text", "long", "int", "number", "list" or a list of
    choices; ``values``: the entry's current values."""

    def __init__(self, *args, keys, values: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = {}
        for key, label, kind in keys:
            self.kinds[key] = kind
            initial = values.get(key)
            if isinstance(kind, list):
                field = forms.ChoiceField(label=label, choices=kind, required=False)
                field.widget.attrs["class"] = "krds-form-select"
            else:
                widget = forms.Textarea(attrs={"rows": 3}) if kind == "long" else forms.TextInput()
                field = forms.CharField(label=label, required=False, strip=True, widget=widget)
                field.widget.attrs["class"] = "krds-input"
                if kind in ("int", "number"):
                    field.widget.attrs["inputmode"] = "decimal"
            field.help_text = key  # the key the loader's messages name
            field.initial = _shown(initial)
            self.fields[key] = field

    def entry_values(self) -> dict:
        """The inputs as the file's values: None for an empty input (the key is left out)."""
        values = {}
        for key, kind in self.kinds.items():
            text = self.cleaned_data.get(key, "") or ""
            if text == "":
                values[key] = None
            elif kind == "list":
                values[key] = [part.strip() for part in text.split(",") if part.strip()]
            elif kind in ("int", "number") and NUMBER.fullmatch(text):
                values[key] = int(text) if "." not in text else float(text)
            else:
                values[key] = text  # text, a choice, or not a number: the loader says which
        return values


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, Decimal):
        return plain_number(value)
    return str(value)
