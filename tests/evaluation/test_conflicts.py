"""Automatic disqualification (제척) by affiliation: name normalisation and the look-back period."""

import datetime
import unicodedata

import pytest

from evaluation.conflicts import Affiliation, affiliation_conflict, normalise_organisation

TODAY = datetime.date(2023, 4, 15)


@pytest.mark.parametrize(
    ("written", "other"),
    [
        ("(주)케빈랩", "케빈랩"),
        ("주식회사 케빈랩", "케빈랩"),
        ("케빈랩 주식회사", "케빈랩"),
        ("㈜케빈랩", "케빈랩"),
        ("（주）케빈랩", "케빈랩"),
        ("(재)울산테크노파크", "울산테크노파크"),
        ("재단법인 울산테크노파크", "울산 테크노파크"),
        ("SK 플래닛", "sk플래닛"),
        ("KT Engineering Co., Ltd.", "kt engineering"),
        ("울산\u200b대학교", "울산대학교"),
        (unicodedata.normalize("NFD", "울산대학교"), "울산대학교"),
    ],
)
def test_names_compare_without_legal_suffix_case_space_or_normal_form(written, other):
    assert normalise_organisation(written) == normalise_organisation(other)


def test_different_organisations_stay_different():
    assert normalise_organisation("울산대학교") != normalise_organisation("울산과학대학교")
    assert normalise_organisation("KT") != normalise_organisation("KT엔지니어링")


def test_current_affiliation_matching_a_partner_conflicts():
    partners = ["현대자동차", "SK 플래닛", "울산대학교"]
    assert affiliation_conflict([Affiliation("울산대학교")], partners, TODAY) == "울산대학교"


def test_current_affiliation_matching_the_applicant_conflicts():
    assert affiliation_conflict([Affiliation("고양시")], ["고양시", "카카오엔터프라이즈"], TODAY) == "고양시"


@pytest.mark.parametrize(
    ("until", "conflicted"),
    [
        (datetime.date(2023, 4, 1), True),  # left two weeks ago
        (datetime.date(2020, 4, 15), True),  # exactly three years ago: still inside
        (datetime.date(2020, 4, 14), False),  # one day outside the look-back period
        (datetime.date(2015, 1, 1), False),
    ],
)
def test_past_affiliation_counts_only_within_the_look_back_period(until, conflicted):
    affiliations = [Affiliation("국토연구원"), Affiliation("(주)케빈랩", until)]
    result = affiliation_conflict(affiliations, ["평택시", "케빈랩"], TODAY)
    assert (result == "케빈랩") is conflicted


def test_look_back_period_is_a_setting():
    affiliations = [Affiliation("케빈랩", datetime.date(2021, 1, 1))]
    assert affiliation_conflict(affiliations, ["케빈랩"], TODAY, lookback_years=3) == "케빈랩"
    assert affiliation_conflict(affiliations, ["케빈랩"], TODAY, lookback_years=1) is None


def test_no_affiliation_no_conflict():
    assert affiliation_conflict([Affiliation("")], ["", "평택시"], TODAY) is None
