"""Date and time formats users see, in the GOV.UK style: "23 November 2026", "23 November 2026 at 2:05pm".

Django always localises dates, so the en-gb locale's own formats ("23 Nov 2026", "23 Nov 2026, 2:05 p.m.") would
win over DATE_FORMAT in the settings; FORMAT_MODULE_PATH points here so that these win instead. The "am"/"pm"
without full stops come from locale/en_GB (Django's "a" format is "a.m."/"p.m." until translated).
Machines keep ISO dates: CSV, JSON, calendar feeds, <input type="date"> and <time datetime="...">.
"""

DATE_FORMAT = "j F Y"  # 23 November 2026
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "fa"  # 2:05pm, 10am
DATETIME_FORMAT = r"j F Y \a\t fa"  # 23 November 2026 at 2:05pm
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
