"""The translation catalogues: complete, consistent with the code, and compiled.

A language in ``settings.LANGUAGES`` is a promise that every page and email is in that language. These tests fail
when a catalogue has an untranslated, fuzzy or stale entry, when a translation loses or invents a placeholder or a
tag (which would break the page or the message), when the source has a string the catalogues do not know yet
(``makemessages`` was not run), or when a committed ``.mo`` file is older than its ``.po``.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "mccs" / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Placeholders of Python (%(name)s), of the offline script ({who}) and HTML tags must survive translation.
MARKERS = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|</?[a-z]+(?:\s[^>]*)?>")


def catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))


def markers(text: str) -> collections.Counter:
    return collections.Counter(MARKERS.findall(text))


def test_every_language_but_the_source_has_a_catalogue():
    assert TRANSLATED, "settings.LANGUAGES names no translation"
    for code in TRANSLATED:
        assert (LOCALE / code / "LC_MESSAGES" / "django.po").is_file(), f"no catalogue for {code}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_is_complete_and_nothing_is_fuzzy(code):
    po = catalogue(code)
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    obsolete = [e.msgid for e in po.obsolete_entries()]
    assert not untranslated, f"{code}: untranslated: {untranslated}"
    assert not fuzzy, f"{code}: fuzzy: {fuzzy}"
    assert not obsolete, f"{code}: obsolete entries left behind: {obsolete}"
    assert len(po) > 300


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_every_placeholder_and_tag(code):
    wrong = []
    for entry in catalogue(code).translated_entries():
        if entry.msgid_plural:
            pairs = [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translation in pairs:
            if markers(source) != markers(translation):
                wrong.append((source, translation))
    assert not wrong, wrong


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalogue_matches_its_source(code):
    """The ``.mo`` files are committed (installing needs no gettext tools): they must say what the ``.po`` says."""
    folder = LOCALE / code / "LC_MESSAGES"
    compiled = {
        (e.msgid, e.msgid_plural): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in polib.mofile(str(folder / "django.mo"))
        if e.msgid
    }
    source = {
        (e.msgid, e.msgid_plural): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in catalogue(code).translated_entries()
    }
    assert compiled == source, "run: cd mccs && django-admin compilemessages (see docs/translating.md)"


def test_catalogues_know_every_string_of_the_source(tmp_path, settings):
    """Extract the strings again (what ``makemessages`` does) into a scratch copy: nothing may be new."""
    if shutil.which("xgettext") is None:
        if os.environ.get("MCCS_REQUIRE_BROWSER"):  # CI: nothing skips (.ci/run installs gettext)
            pytest.fail("xgettext (apt-get install gettext) is missing")
        pytest.skip("GNU gettext is not installed")
    source = Path(settings.BASE_DIR) / "mccs"
    scratch = tmp_path / "mccs"
    shutil.copytree(source, scratch, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    settings.LOCALE_PATHS = [scratch / "locale"]
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        call_command("makemessages", locale=TRANSLATED, verbosity=0, no_obsolete=True)
    finally:
        os.chdir(cwd)
    for code in TRANSLATED:
        known = {e.msgid for e in catalogue(code)}
        extracted = polib.pofile(str(scratch / "locale" / code / "LC_MESSAGES" / "django.po"))
        new = sorted({e.msgid for e in extracted} - known)
        gone = sorted(known - {e.msgid for e in extracted})
        assert not new, (
            f"{code}: strings missing from the catalogue (run makemessages, then translate): {new}"
        )
        assert not gone, f"{code}: strings no longer in the source (run makemessages): {gone}"
