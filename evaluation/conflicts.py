"""Conflicts of interest (SPEC §3): automatic disqualification (제척) by affiliation.

A reviewer may not score a proposal whose applicant or any partner organisation is the
reviewer's current affiliation or one held within the look-back period (default 3 years).
Names compare after Unicode NFKC, case and space folding, without invisible characters and
without legal suffixes.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from proposals.importing import cells

LOOKBACK_YEARS = 3
_LEGAL_FORMS = (
    "주식회사",
    "유한회사",
    "유한책임회사",
    "합자회사",
    "합명회사",
    "재단법인",
    "사단법인",
    "학교법인",
    "사회복지법인",
    "의료법인",
    "협동조합",
)
_BRACKETED_FORMS = re.compile(r"[(（\[]\s*(주|유|재|사|학|합|株|有)\s*[)）\]]")
_ENGLISH_FORMS = re.compile(r"\b(co|corp|inc|ltd|llc)\b\.?", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[·・.,]+")


def normalise_organisation(name: str) -> str:
    """The comparison key of an organisation's name: NFKC, no invisible character (format
    characters, Hangul fillers, variation selectors …: ``cells.strip_invisible``), no legal
    suffix, case, space and separating punctuation folded."""
    text = unicodedata.normalize("NFKC", cells.strip_invisible(name or ""))
    text = _BRACKETED_FORMS.sub("", text)
    for form in _LEGAL_FORMS:
        text = text.replace(form, "")
    text = _ENGLISH_FORMS.sub("", text)
    return _PUNCTUATION.sub("", cells.fold(text))


@dataclass(frozen=True)
class Affiliation:
    organisation: str
    until: datetime.date | None = None  # None: held now


def affiliation_conflict(
    affiliations: list[Affiliation],
    organisations: list[str],
    today: datetime.date,
    lookback_years: int = LOOKBACK_YEARS,
) -> str | None:
    """The organisation that disqualifies the reviewer (as written in the proposal), or None."""
    try:
        since = today.replace(year=today.year - lookback_years)
    except ValueError:  # 29 February
        since = today.replace(year=today.year - lookback_years, day=28)
    held = {
        normalise_organisation(a.organisation)
        for a in affiliations
        if a.organisation and (a.until is None or a.until >= since)
    }
    held.discard("")
    for organisation in organisations:
        if normalise_organisation(organisation) in held:
            return organisation
    return None
