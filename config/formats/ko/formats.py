"""Korean dates as Korean public bodies write them (KRDS; 공문서 작성 방법): 2026. 12. 1., with the
time 2026. 12. 1. 14:05. Templates use ``|date:"DATE_FORMAT"`` or ``|date:"DATETIME_FORMAT"``,
code ``django.utils.formats.date_format`` on a local time: one place for every date."""

DATE_FORMAT = "Y. n. j."
SHORT_DATE_FORMAT = "Y. n. j."
DATETIME_FORMAT = "Y. n. j. H:i"
SHORT_DATETIME_FORMAT = "Y. n. j. H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y년 n월"
MONTH_DAY_FORMAT = "n월 j일"
