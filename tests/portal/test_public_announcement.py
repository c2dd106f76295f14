"""The announcement text in the ministry's style — one verb (신청) and one counter (곳) whatever the
number of tracks — and amounts in 억원, in English in English mode (pure functions)."""

from decimal import Decimal

import pytest
from django.utils import translation

from portal.public.announcement import announcement
from portal.public.views import format_eok


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (
            {
                "name": "거점형",
                "applicants": 10,
                "ratio": "5:1",
                "tracks": [{"name": "거점형", "selected": ["울산광역시", "고양시"]}],
            },
            "거점형은 총 10곳의 지자체가 신청해 5:1의 경쟁률을 보였으며, 울산광역시, 고양시 2곳이 선정되었다.",
        ),
        (
            {
                "name": "강소형",
                "applicants": 14,
                "ratio": "3.5:1",
                "tracks": [
                    {"name": "기후위기 대응형", "selected": ["평택시", "목포시"]},
                    {"name": "지역소멸 대응형", "selected": ["태안군", "아산시"]},
                ],
            },
            "강소형은 기후위기 대응형과 지역소멸 대응형 2개 유형에 총 14곳의 지자체가 신청해 3.5:1의 경쟁률을 "
            "보였으며, 기후위기 대응형은 평택시, 목포시가, 지역소멸 대응형은 태안군, 아산시가 선정되었다.",
        ),
        # 2024: 4 applicants for one hub slot; a pooled small-but-strong quota (1 + 2 selected).
        (
            {
                "name": "거점형",
                "applicants": 4,
                "ratio": "4:1",
                "tracks": [{"name": "거점형", "selected": ["시흥시"]}],
            },
            "거점형은 총 4곳의 지자체가 신청해 4:1의 경쟁률을 보였으며, 시흥시 1곳이 선정되었다.",
        ),
        (
            {
                "name": "강소형",
                "applicants": 7,
                "ratio": "2.3:1",
                "tracks": [
                    {"name": "기후위기 대응형", "selected": ["광양시"]},
                    {"name": "지역소멸 대응형", "selected": ["태안군", "단양군"]},
                ],
            },
            "강소형은 기후위기 대응형과 지역소멸 대응형 2개 유형에 총 7곳의 지자체가 신청해 2.3:1의 경쟁률을 "
            "보였으며, 기후위기 대응형은 광양시가, 지역소멸 대응형은 태안군, 단양군이 선정되었다.",
        ),
        # An empty slot stays empty (적격자 없음).
        (
            {
                "name": "거점형",
                "applicants": 3,
                "ratio": "1.5:1",
                "tracks": [{"name": "거점형", "selected": []}],
            },
            "거점형은 총 3곳의 지자체가 신청해 1.5:1의 경쟁률을 보였으며, 선정된 지자체는 없다.",
        ),
        (
            {
                "name": "강소형",
                "applicants": 5,
                "ratio": "1.3:1",
                "tracks": [
                    {"name": "기후위기 대응형", "selected": ["평택시"]},
                    {"name": "지역소멸 대응형", "selected": []},
                ],
            },
            "강소형은 기후위기 대응형과 지역소멸 대응형 2개 유형에 총 5곳의 지자체가 신청해 1.3:1의 경쟁률을 "
            "보였으며, 기후위기 대응형은 평택시가 선정되었다. 지역소멸 대응형은 선정된 지자체가 없다.",
        ),
        # No slots set: no ratio to state.
        (
            {
                "name": "특화형",
                "applicants": 2,
                "ratio": None,
                "tracks": [{"name": "특화형", "selected": []}],
            },
            "특화형은 총 2곳의 지자체가 신청했으며, 선정된 지자체는 없다.",
        ),
        # Three tracks.
        (
            {
                "name": "공모",
                "applicants": 9,
                "ratio": "3:1",
                "tracks": [
                    {"name": "가형", "selected": ["A시"]},
                    {"name": "나유형", "selected": ["세종특별자치시"]},
                    {"name": "다형", "selected": ["부산광역시 해운대구"]},
                ],
            },
            "공모는 가형, 나유형과 다형 3개 유형에 총 9곳의 지자체가 신청해 3:1의 경쟁률을 보였으며, "
            "가형은 A시가, 나유형은 세종특별자치시가, 다형은 부산광역시 해운대구가 선정되었다.",
        ),
    ],
)
def test_announcement(category, expected):
    assert announcement(category) == expected


def test_three_tracks_without_a_ratio_read_as_one_sentence():
    category = {
        "name": "특화형",
        "applicants": 4,
        "ratio": None,
        "tracks": [{"name": "A형", "selected": ["A시"]}, {"name": "B형", "selected": []}],
    }
    assert announcement(category) == (
        "특화형은 A형과 B형 2개 유형에 총 4곳의 지자체가 신청했으며, A형은 A시가 선정되었다. "
        "B형은 선정된 지자체가 없다."
    )


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("200.00", "200억원"),
        (Decimal("1200"), "1,200억원"),
        ("200.50", "200.5억원"),
        ("12345.25", "12,345.25억원"),
        ("0", "0억원"),
    ],
)
def test_amounts_in_eok(amount, expected):
    with translation.override("ko"):
        assert format_eok(amount) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("200.00", "KRW 20 billion"),
        (Decimal("1200"), "KRW 120 billion"),
        ("200.50", "KRW 20.05 billion"),
        ("12345.25", "KRW 1,234.525 billion"),
        ("0", "KRW 0 billion"),
    ],
)
def test_amounts_in_english(amount, expected):
    with translation.override("en"):
        assert format_eok(amount) == expected


def test_a_local_government_selected_for_several_sites_is_named_once_with_their_number():
    """SPEC §8.1 (어촌뉴딜 2022: 신안군 won three sites, 고흥군 two)."""
    category = {
        "name": "어촌뉴딜",
        "applicants": 10,
        "ratio": "2:1",
        "several_per_applicant": True,
        "tracks": [
            {
                "name": "어촌뉴딜",
                "selected": ["신안군", "고흥군", "신안군", "고성군(경남)", "신안군", "고성군(경남)"],
            }
        ],
    }
    assert announcement(category) == (
        "어촌뉴딜은 총 10건이 접수돼 2:1의 경쟁률을 보였으며, 신안군(3곳), 고흥군, 고성군(경남, 2곳) "
        "6곳이 선정되었다."
    )
    # The applicants are proposals, not local governments: never «10곳의 지자체».
    category["tracks"][0]["selected"] = []
    category["ratio"] = None
    assert announcement(category) == "어촌뉴딜은 총 10건이 접수됐으며, 선정된 사업은 없다."
    category["tracks"] = [{"name": "가형", "selected": ["신안군"]}, {"name": "나형", "selected": []}]
    assert announcement(category) == (
        "어촌뉴딜은 가형과 나형 2개 유형에 총 10건이 접수됐으며, 가형은 신안군이 선정되었다. "
        "나형은 선정된 사업이 없다."
    )
