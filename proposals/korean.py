"""Korean particles (조사) chosen by the word they follow: 울산대학교가, 한국교통연구원이, 위원 A는,
C1을, 2.5:1로 — never the "이(가)" fallback.

A particle pair depends on whether the last syllable, as read aloud, ends in a final consonant
(받침): 이/가, 을/를, 은/는, 과/와; (으)로 also takes 로 after ㄹ (서울로, 울산으로). Digits read as
Sino-Korean numbers (1 일, 2 이, 10 십, 100 백, 4.0 사 점 영) and Latin letters as their Korean
names (A 에이, L 엘, M 엠, R 알) or, for a lower-case word, by its last sound (hub 허브, admin
어드민). A parenthesised or quoted ending is skipped: the particle follows the word before it
(평가표(위원 A)는 → 평가표는; '숨김'이 → 숨김이).

``particle`` and ``attach`` are pure. ``with_particle`` is what messages use: the word with its
particle in Korean, the word alone in any other language, so that a translated message passes
the particle with its value (``%(organisation_subject)s``) and reads right in both languages.
"""

from django.utils import translation

# Each pair: (after a final consonant, after a vowel). Keys accept either form or the pair.
PAIRS = {
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "(으)로": ("으로", "로"),
}
_ALIASES = {form: pair for pair, forms in PAIRS.items() for form in forms} | {"와/과": "과/와"}
_ALIASES |= {pair: pair for pair in PAIRS}

RIEUL = "ㄹ"
NONE = ""  # no final consonant
OTHER = "ㅇ"  # a final consonant other than ㄹ (which one does not matter to a particle)

# The final sound of each Hangul syllable's 종성 index (0: none, 8: ㄹ).
_JONGSEONG_RIEUL = 8

# Sino-Korean readings: the last digit (일 이 삼 사 오 육 칠 팔 구; 0 alone or after a decimal
# point is 영), and the place a run of trailing zeros names (십 백 천 만 … 억 … 조).
_DIGITS = {
    "0": OTHER,
    "1": RIEUL,
    "2": NONE,
    "3": OTHER,
    "4": NONE,
    "5": NONE,
    "6": OTHER,
    "7": RIEUL,
    "8": RIEUL,
    "9": NONE,
}
_TRAILING_ZEROS = {
    1: OTHER,
    2: OTHER,
    3: OTHER,
    4: OTHER,
    8: OTHER,
    12: NONE,
    16: OTHER,
}  # 십 백 천 만 억 조 경

# Latin letters by their Korean names: 에이 비 씨 디 이 에프 지 에이치 아이 제이 케이 엘 엠 엔 오 피
# 큐 알 에스 티 유 브이 더블유 엑스 와이 제트.
_LETTERS = {letter: NONE for letter in "ABCDEFGHIJKOPQSTUVWXYZ"} | {
    "L": RIEUL,
    "M": OTHER,
    "N": OTHER,
    "R": RIEUL,
}

_CLOSERS = {")": "(", "]": "[", "}": "{", "」": "「", "』": "『", "〉": "〈", "》": "《", "）": "（"}
_QUOTES = "'\"‘’“”`"


def final_sound(word: str) -> str | None:
    """The final consonant of ``word`` as read aloud: ``RIEUL``, ``OTHER``, ``NONE``; None when the
    ending cannot be read (a Hanja, a symbol)."""
    word = _reading_end(word)
    if not word:
        return None
    last = word[-1]
    if "가" <= last <= "힣":
        jongseong = (ord(last) - ord("가")) % 28
        return NONE if jongseong == 0 else RIEUL if jongseong == _JONGSEONG_RIEUL else OTHER
    if last.isdigit() and last.isascii():
        return _number_sound(word)
    if last.isascii() and last.isalpha():
        return _latin_sound(word)
    return None


def _reading_end(word: str) -> str:
    """``word`` without what is not read before a particle: trailing spaces, quotes, a bracketed
    or parenthesised ending."""
    word = word.rstrip()
    while word:
        last = word[-1]
        if last in _QUOTES:
            inner = word[:-1]
            opening = max(inner.rfind(q) for q in _QUOTES)
            word = inner[opening + 1 :] if opening >= 0 else inner  # '숨김' → 숨김
        elif last in _CLOSERS:
            opening = word.rfind(_CLOSERS[last])
            word = word[:opening] if opening > 0 else word[:-1]  # 평가표(위원 A) → 평가표
        else:
            return word
        word = word.rstrip()
    return word


def _number_sound(word: str) -> str:
    digits = ""
    for character in reversed(word):
        if character.isdigit() or character in ",.":
            digits = character + digits
        else:
            break
    digits = digits.lstrip(",.")
    if "." in digits:  # the decimals are read digit by digit: 4.0 → 사 점 영
        return _DIGITS[digits[-1]]
    digits = digits.replace(",", "")
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped:
        return OTHER  # 영
    if zeros == 0:
        return _DIGITS[stripped[-1]]
    place = max(step for step in _TRAILING_ZEROS if step <= zeros)
    return _TRAILING_ZEROS[place]


def _latin_sound(word: str) -> str:
    letters = ""
    for character in reversed(word):
        if character.isascii() and character.isalpha():
            letters = character + letters
        else:
            break
    if len(letters) == 1 or letters.isupper():  # an initial or an acronym: KRDS 케이알디에스
        return _LETTERS[letters[-1].upper()]
    ending = letters.lower()
    if ending.endswith(("l", "le")):
        return RIEUL  # excel 엑셀, google 구글
    if ending.endswith(("m", "n", "ng")):
        return OTHER  # form 폼, admin 어드민, king 킹
    return NONE  # hub 허브, city 시티, smart 스마트, django 장고


def particle(word: str, pair: str) -> str:
    """The particle of ``pair`` ("이/가", "을/를", "은/는", "과/와", "(으)로"; or one of its forms)
    that follows ``word``. An unreadable ending takes the form after a vowel."""
    with_consonant, after_vowel = PAIRS[_ALIASES[pair]]
    sound = final_sound(word)
    if not sound:
        return after_vowel
    if with_consonant == "으로" and sound == RIEUL:
        return "로"
    return with_consonant


def attach(word, pair: str) -> str:
    """``word`` followed by its particle: 울산대학교가, 한국교통연구원이."""
    word = str(word)
    return f"{word}{particle(word, pair)}"


def with_particle(word, pair: str) -> str:
    """``attach`` in Korean; the word alone in any other language (for a message's value)."""
    if (translation.get_language() or "").startswith("ko"):
        return attach(word, pair)
    return str(word)
