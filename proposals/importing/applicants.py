"""The applicant spreadsheet (SPEC §5, ``import_proposals``): one row per proposal."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import Applicant, Competition, Proposal, audit_context
from ..models.bulk_audit import insert_audited_rows, update_audited_rows
from . import cells
from .engine import Column, FieldChange, Importer, RowError, RowStatus

STATUS_SPELLINGS = {
    cells.fold(spelling): value
    for value, spellings in {
        Proposal.Status.SUBMITTED: ("접수", "submitted", "제출"),
        Proposal.Status.INELIGIBLE: ("부적격", "ineligible"),
        Proposal.Status.WITHDRAWN: ("철회", "withdrawn", "취하"),
    }.items()
    for spelling in spellings
}

# Fields compared and written, in column order; "track" and "applicant" resolve to foreign keys.
FIELDS = (
    "track",
    "applicant",
    "title",
    "summary",
    "solutions",
    "partners",
    "national_subsidy",
    "local_matching",
    "reference",
    "submitted_on",
    "contact_name",
    "contact_phone",
    "contact_email",
    "status",
)


# Columns written when a proposal is created (absent optional columns parse to their default).
CREATE_FIELDS = tuple(f for f in FIELDS if f not in ("track", "applicant"))


def _status_column() -> Column:
    return Column(
        "status",
        ("상태", "status"),
        cells.choice(STATUS_SPELLINGS, Proposal.Status.SUBMITTED, "접수, 부적격, 철회"),
        help="접수(기본값), 부적격, 철회",
    )


FIELD_INDEX = {key: index for index, key in enumerate(CREATE_FIELDS)}


@dataclass(slots=True)
class PlannedProposal:
    values: tuple  # in CREATE_FIELDS order (a tuple: 50,000 rows must stay small in memory)
    track_id: int
    track_name: str
    applicant_key: tuple[str, str]
    existing: dict | None = None

    def value(self, key: str):
        return self.values[FIELD_INDEX[key]]

    def items(self):
        return zip(CREATE_FIELDS, self.values, strict=True)


class ProposalImporter(Importer):
    kind = "proposals"
    columns = (
        Column(
            "track",
            ("트랙", "track"),
            cells.name(60),
            required=True,
            help="트랙 코드 또는 이름 (예: hub, 거점형)",
        ),
        Column(
            "province",
            ("광역", "province"),
            cells.name(40),
            required=True,
            help="광역자치단체 (예: 경기)",
        ),
        Column(
            "applicant",
            ("지자체", "applicant"),
            cells.name(60),
            required=True,
            help="신청 지자체 (예: 고양시)",
        ),
        Column("title", ("사업명", "title"), cells.text(300), required=True),
        Column("summary", ("주요내용", "summary"), cells.text(10_000)),
        Column(
            "solutions",
            ("대표솔루션", "solutions"),
            cells.text_list("semicolon"),
            help="한 줄에 하나 또는 ; 로 구분",
        ),
        Column(
            "partners",
            ("참여기관", "partners"),
            cells.text_list("comma"),
            help="한 줄에 하나 또는 , 로 구분",
        ),
        Column(
            "national_subsidy",
            ("국비", "national_subsidy"),
            cells.amount,
            required=True,
            help="억원 (예: 200, 1,200, 200억)",
        ),
        Column("local_matching", ("지방비", "local_matching"), cells.amount, required=True, help="억원"),
        Column("reference", ("접수번호", "reference"), cells.name(40)),
        Column("submitted_on", ("접수일", "submitted_on"), cells.date, help="예: 2023-03-31"),
        Column("contact_name", ("담당자", "contact_name"), cells.name(60)),
        Column("contact_phone", ("연락처", "contact_phone"), cells.text(40)),
        Column("contact_email", ("이메일", "contact_email"), cells.email),
        _status_column(),
    )

    def __init__(self, competition: Competition, actor=None):
        super().__init__(actor=actor)
        self.competition = competition

    def lock(self) -> None:
        # One import per competition at a time: row lock on PostgreSQL; SQLite's write lock.
        Competition.objects.select_for_update().filter(pk=self.competition.pk).exists()

    def prepare(self) -> None:
        self.matched_ids: set[int] = set()
        self.track_applicant_rows: dict[tuple, int] = {}
        self.tracks: dict[str, tuple[int, str]] = {}
        self.track_name_of: dict[int, str] = {}
        track_rows = self.competition.categories.values_list("tracks__id", "tracks__code", "tracks__name")
        for track_id, code, name in track_rows:
            if track_id is None:
                continue
            self.tracks[cells.fold(code)] = (track_id, name)
            self.tracks[cells.fold(name)] = (track_id, name)
            self.track_name_of[track_id] = name
        self.track_names = cells.track_options(
            (code, name)
            for code, name in self.competition.categories.values_list("tracks__code", "tracks__name")
            if code
        )
        self.by_reference: dict[str, dict] = {}
        # Several proposals of one local government in a track, told apart by 접수번호 (SPEC §8.1).
        self.by_track_applicant: dict[tuple, list[dict]] = {}
        self.by_applicant: dict[tuple[str, str], list[dict]] = {}
        existing = Proposal.objects.filter(competition=self.competition).values(
            "id",
            *[f for f in FIELDS if f not in ("track", "applicant")],
            track_id_=F("track_id"),
            applicant_pk=F("applicant_id"),
            province=F("applicant__province"),
            applicant_name=F("applicant__name"),
        )
        for row in existing:
            row["track"] = row.pop("track_id_")
            row["applicant"] = (row.pop("province"), row.pop("applicant_name"))
            if row["reference"]:
                self.by_reference[row["reference"]] = row
            self.by_track_applicant.setdefault((row["track"], *row["applicant"]), []).append(row)
            self.by_applicant.setdefault(row["applicant"], []).append(row)
        self.existing_labels = {
            row["id"]: row["reference"] or row["applicant"][1]
            for rows in self.by_track_applicant.values()
            for row in rows
        }

    def build(self, values: dict, number: int) -> PlannedProposal:
        track = self.tracks.get(cells.fold(values["track"]))
        if track is None:
            raise RowError(
                "track",
                _("Unknown track: '%(value)s' (one of %(options)s)")
                % {"value": cells.shown(values["track"]), "options": self.track_names},
            )
        track_id, track_name = track
        applicant_key = (values["province"], values["applicant"])
        pair = (track_id, *applicant_key)
        held = self.by_track_applicant.get(pair, [])
        reference = values.get("reference") or ""
        if reference:
            # The 접수번호 alone names the proposal: a local government may hold several in one
            # track (SPEC §8.1). Without a match, the one proposal of this local government in
            # this track imported without a 접수번호 is given this one.
            existing = self.by_reference.get(reference)
            unnumbered = [row for row in held if not row["reference"]]
            if existing is None and len(unnumbered) == 1:
                existing = unnumbered[0]
        else:
            # Without a 접수번호 the key is (track, local government) (SPEC §5).
            if pair in self.track_applicant_rows:
                raise RowError(
                    "applicant",
                    _("The same local government appears twice in this track (row %(row)s).")
                    % {"row": self.track_applicant_rows[pair]},
                )
            self.track_applicant_rows[pair] = number
            if len(held) > 1:
                raise RowError(
                    "reference",
                    _(
                        "This local government holds %(count)s proposals in this track: give the "
                        "reference number (접수번호) of the one this row is for."
                    )
                    % {"count": len(held)},
                )
            existing = held[0] if held else None
        if "reference" not in self.present and existing is not None:
            values["reference"] = existing["reference"]
        planned_values = tuple(values[key] for key in CREATE_FIELDS)
        return PlannedProposal(planned_values, track_id, track_name, applicant_key, existing)

    def key_of(self, planned: PlannedProposal):
        reference = planned.value("reference")
        if reference:
            return ("reference", reference), "reference"
        return ("track-applicant", planned.track_id, *planned.applicant_key), "applicant"

    def label_of(self, planned: PlannedProposal) -> str:
        ref = planned.value("reference")
        name = f"{planned.applicant_key[1]} · {planned.track_name}"
        return f"{ref} {name}" if ref else name

    def _wanted(self, planned: PlannedProposal) -> dict:
        """The values the row asks for, limited to columns the file has (others are kept)."""
        wanted = {"track": planned.track_id, "applicant": planned.applicant_key}
        for key, value in planned.items():
            if key in self.present or key == "reference":
                wanted[key] = value
        return wanted

    def compare(self, planned: PlannedProposal):
        if planned.existing is None:
            return RowStatus.NEW, []
        self.matched_ids.add(planned.existing["id"])
        existing = planned.existing
        changed = [
            FieldChange.of(self._label(key), self._shown(key, existing[key]), self._shown(key, value))
            for key, value in self._wanted(planned).items()
            if not _same(existing[key], value)
        ]
        if not changed:
            return RowStatus.UNCHANGED, []
        return RowStatus.UPDATED, changed

    def _label(self, key: str) -> str:
        if key == "applicant":
            return "지자체"
        return next(column.label for column in self.columns if column.key == key)

    def _shown(self, key: str, value):
        """A value of ``key`` as the file writes it: track and status by name, the local
        government with its province."""
        if key == "track":
            return self.track_name_of.get(value, value)
        if key == "applicant":
            return " ".join(value)
        if key == "status" and value in Proposal.Status.values:
            return Proposal.Status(value).label
        return value

    def claim(self, values: dict, planned: PlannedProposal | None) -> None:
        """The proposal a row with an error names: the one it was built for, else the one with
        its reference, else the one of its local government in its track (or in the only track
        that local government applied to, when the track is what is wrong)."""
        if planned is not None and planned.existing is not None:
            self.matched_ids.add(planned.existing["id"])
            return
        reference = values.get("reference")
        if reference and reference in self.by_reference:
            self.matched_ids.add(self.by_reference[reference]["id"])
            return
        province, name = values.get("province"), values.get("applicant")
        if not province or not name:
            return
        track = self.tracks.get(cells.fold(values.get("track") or ""))
        if track is not None:
            found = self.by_track_applicant.get((track[0], province, name), [])
        else:
            found = self.by_applicant.get((province, name), [])
        if len(found) == 1:
            self.matched_ids.add(found[0]["id"])

    def missing_labels(self) -> list[str]:
        return [label for pk, label in self.existing_labels.items() if pk not in self.matched_ids]

    def publication(self) -> int | None:
        # The publications of ``evaluation`` (related name "publications"), read through the
        # reverse relation: the proposals app imports nothing of the evaluation app.
        return self.competition.publications.order_by("-number").values_list("number", flat=True).first()

    def write(self, plans: list, report) -> None:
        """New proposals by one prepared INSERT, changed ones by one prepared UPDATE per set of
        changed fields (a field another row changes is never written on this one), every row
        recorded in the audit chain (``insert_audited_rows``, ``update_audited_rows``) with the
        importing user and the file's name, and one "import.applied" entry. The engine runs this
        inside ``audit_transaction``: the entries go to the chain when every row is written."""
        with audit_context(self.actor, report.filename):
            applicant_ids = self._applicant_ids({planned.applicant_key for _status, planned in plans})
            now = timezone.now()
            insert_fields = ["competition", "track", "applicant", *CREATE_FIELDS, "created_at", "updated_at"]
            new_rows = [
                (
                    self.competition.pk,
                    planned.track_id,
                    applicant_ids[planned.applicant_key],
                    *planned.values,
                    now,
                    now,
                )
                for status, planned in plans
                if status == RowStatus.NEW
            ]
            insert_audited_rows(Proposal, insert_fields, new_rows, self._new_proposal_ids)
            updates: dict[tuple, tuple[list, list]] = {}  # changed fields → (rows, values before)
            for status, planned in plans:
                if status != RowStatus.UPDATED:
                    continue
                existing = planned.existing
                changed = {
                    key: value
                    for key, value in self._wanted(planned).items()
                    if not _same(existing[key], value)
                }
                before = {key: existing[key] for key in changed}
                if "applicant" in changed:  # a key (province, name) → the applicant's id
                    changed["applicant"] = applicant_ids[changed["applicant"]]
                    before["applicant"] = existing["applicant_pk"]
                rows, befores = updates.setdefault(tuple(changed), ([], []))
                rows.append((*changed.values(), now, existing["id"]))
                befores.append(before)
            for fields, (rows, befores) in updates.items():
                update_audited_rows(Proposal, [*fields, "updated_at"], rows, befores)
        audit.record_many(
            [self.applied_entry(report, "competition", self.competition.pk, competition=self.competition)]
        )

    def _new_proposal_ids(self, rows: list[tuple]) -> list[int]:
        """Ids of the rows just inserted, by (track, applicant): unique in a competition."""
        ids = {
            (track_id, applicant_id): pk
            for pk, track_id, applicant_id in Proposal.objects.filter(competition=self.competition)
            .order_by()
            .values_list("id", "track_id", "applicant_id")
        }
        return [ids[(row[1], row[2])] for row in rows]

    def _applicant_ids(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        known = self._existing_applicants(keys)
        new = sorted(keys - known.keys())
        if new:
            # A local government that another import creates at this very moment makes this
            # import fail as a whole (IntegrityError: the engine asks to try again), so no
            # applicant is ever recorded as created twice.
            ids = insert_audited_rows(Applicant, ["province", "name"], new, self._new_applicant_ids)
            known.update(zip(new, ids, strict=True))
        return known

    def _new_applicant_ids(self, rows: list[tuple[str, str]]) -> list[int]:
        found = self._existing_applicants(set(rows))
        return [found[row] for row in rows]

    @staticmethod
    def _existing_applicants(keys) -> dict[tuple[str, str], int]:
        """Ids of the applicants among ``keys``, looked up by province (the index's first column)."""
        provinces = sorted({province for province, _name in keys})
        found = {}
        for start in range(0, len(provinces), 500):
            rows = Applicant.objects.filter(province__in=provinces[start : start + 500]).values_list(
                "id", "province", "name"
            )
            for pk, province, name in rows:
                if (province, name) in keys:
                    found[(province, name)] = pk
        return found


def _same(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    if old is None and new == "":
        return True
    return old == new
