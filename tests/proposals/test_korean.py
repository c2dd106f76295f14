"""The particle helper (proposals/korean.py): one table of words as a Korean reader reads them."""

import pytest
from django.utils import translation

from proposals.korean import attach, particle, with_particle

CASES = [
    # word, 이/가, 을/를, 은/는, 과/와, (으)로
    ("울산대학교", "가", "를", "는", "와", "로"),
    ("한국교통연구원", "이", "을", "은", "과", "으로"),
    ("울산광역시", "가", "를", "는", "와", "로"),
    ("서울", "이", "을", "은", "과", "로"),  # ㄹ: 서울로
    ("사용자 이름", "이", "을", "은", "과", "으로"),
    ("거점형", "이", "을", "은", "과", "으로"),
    ("기후위기 대응형", "이", "을", "은", "과", "으로"),
    ("지역소멸 대응형", "이", "을", "은", "과", "으로"),
    # digits, read as Sino-Korean numbers
    ("1", "이", "을", "은", "과", "로"),  # 일
    ("2", "가", "를", "는", "와", "로"),  # 이
    ("3", "이", "을", "은", "과", "으로"),  # 삼
    ("6", "이", "을", "은", "과", "으로"),  # 육
    ("9", "가", "를", "는", "와", "로"),  # 구
    ("10", "이", "을", "은", "과", "으로"),  # 십
    ("100", "이", "을", "은", "과", "으로"),  # 백
    ("1,200", "이", "을", "은", "과", "으로"),  # 천이백
    ("2023", "이", "을", "은", "과", "으로"),  # 이천이십삼
    ("20000", "이", "을", "은", "과", "으로"),  # 이만
    ("0", "이", "을", "은", "과", "으로"),  # 영
    ("新울산4.0", "이", "을", "은", "과", "으로"),  # 사 점 영
    ("2.5:1", "이", "을", "은", "과", "로"),  # 이 점 오 대 일
    ("R-0001", "이", "을", "은", "과", "로"),  # 일
    # Latin letters by their Korean names, acronyms letter by letter, words by their last sound
    ("위원 A", "가", "를", "는", "와", "로"),  # 에이
    ("C1", "이", "을", "은", "과", "로"),  # 씨일
    ("L", "이", "을", "은", "과", "로"),  # 엘
    ("M", "이", "을", "은", "과", "으로"),  # 엠
    ("KRDS", "가", "를", "는", "와", "로"),  # 에스
    ("hub", "가", "를", "는", "와", "로"),  # 허브
    ("Excel", "이", "을", "은", "과", "로"),  # 엑셀
    ("admin", "이", "을", "은", "과", "으로"),  # 어드민
    # a parenthesised or quoted ending is skipped
    ("평가표(위원 A)", "가", "를", "는", "와", "로"),
    ("'숨김'", "이", "을", "은", "과", "으로"),
    ("「결과 검증」", "이", "을", "은", "과", "으로"),
]


@pytest.mark.parametrize(("word", "subject", "object_", "topic", "and_", "towards"), CASES)
def test_particles_follow_the_last_sound(word, subject, object_, topic, and_, towards):
    assert particle(word, "이/가") == subject
    assert particle(word, "을/를") == object_
    assert particle(word, "은/는") == topic
    assert particle(word, "과/와") == and_
    assert particle(word, "(으)로") == towards


@pytest.mark.parametrize("form", ["이", "가", "이/가"])
def test_either_form_names_the_pair(form):
    assert attach("울산대학교", form) == "울산대학교가"
    assert attach("한국교통연구원", form) == "한국교통연구원이"


def test_an_unreadable_ending_takes_the_form_after_a_vowel():
    assert attach("新", "이/가") == "新가"
    assert attach("", "은/는") == "는"


def test_with_particle_adds_the_particle_in_korean_only():
    with translation.override("ko"):
        assert with_particle("울산대학교", "이/가") == "울산대학교가"
    with translation.override("en"):
        assert with_particle("울산대학교", "이/가") == "울산대학교"
