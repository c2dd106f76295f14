"""Open data (공공데이터): the publication in force as JSON and CSV at stable addresses, from its
frozen snapshot alone — exactly what the public results page shows (the counts, ratios and the
selected per track, the results by province), never the inputs (sheets, reviewers) nor personal
data — with the publication's number and SHA-256 digest, so that anyone can check a copy
against the ministry's (``verify_publication``)."""

from django.utils.translation import gettext as _

from evaluation.exporting import csv_bytes

FORMAT = 1  # of the JSON document below; a change of its shape takes the next number


def open_data(publication, snapshot: dict, page_url: str, published_at) -> dict:
    """The JSON document of the publication in force: ``snapshot`` holds its ``competition`` and
    ``outcome`` parts."""
    outcome = snapshot["outcome"]
    track_totals = {(t["category"], t["track"]): t for t in outcome["totals"]["tracks"]}
    document = {
        "format": FORMAT,
        "competition": {**snapshot["competition"], "organization": publication.competition.organization_name},
        "publication": {
            "number": publication.number,
            "published_at": published_at.isoformat(),
            "digest": publication.digest,
            "page": page_url,
        },
        "categories": [
            {
                "code": category["code"],
                "name": category["name"],
                "applicants": category["applicants"],
                "slots": category["slots"],
                "ratio": category["ratio"],
                "tracks": [
                    {
                        "code": track["code"],
                        "name": track["name"],
                        "applicants": track["applicants"],
                        "slots": track["slots"],
                        "ratio": track["ratio"],
                        **_selected(track_totals[(category["code"], track["code"])]),
                    }
                    for track in category["tracks"]
                ],
            }
            for category in outcome["ranking"]["categories"]
        ],
        "totals": outcome["totals"]["all"],
    }
    if "provinces" in outcome["ranking"]:  # SPEC §8.7, where the publication recorded them
        document["provinces"] = outcome["ranking"]["provinces"]
    return document


def _selected(totals: dict) -> dict:
    return {
        "selected": totals["selected"],
        "national_subsidy": totals["national_subsidy"],
        "local_matching": totals["local_matching"],
    }


def open_data_csv(document: dict) -> bytes:
    """One row per selected proposal, with the publication's number and digest on each (a file
    that travels alone still says where it comes from): ``csv_bytes``, as the officials' CSVs."""
    header = [
        _("Category"),
        _("Track"),
        _("Reference number"),
        _("Selected applicant"),
        _("Project title"),
        _("National subsidy (100M KRW)"),
        _("Local matching (100M KRW)"),
        _("Publication number"),
        _("SHA-256 of the publication"),
    ]
    publication = document["publication"]
    rows = (
        [
            category["name"],
            track["name"],
            row["reference"],
            row["applicant"],
            row["title"],
            row["national_subsidy"],
            row["local_matching"],
            publication["number"],
            publication["digest"],
        ]
        for category in document["categories"]
        for track in category["tracks"]
        for row in track["selected"]
    )
    return csv_bytes(header, rows)
