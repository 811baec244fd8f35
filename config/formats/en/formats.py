"""English dates as the pages always showed them (2026-12-02 09:30), instead of Django's American defaults.

Only what is set here overrides Django's ``en`` locale; the other languages use Django's own formats.
"""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATETIME_FORMAT = "j F Y, H:i"
