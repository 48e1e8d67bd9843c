"""The translations of the invitee's side (src/slotwise/locale): every language complete, every compiled
.mo the compilation of its .po, and the .po files holding every text the code and templates mark."""

import gettext
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.pofile import read

LOCALE = Path(settings.BASE_DIR) / "locale"
FOLDERS = {"de": "de", "fr": "fr", "es": "es", "pt-br": "pt_BR", "ja": "ja"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog(folder: str):
    return read(LOCALE / folder / "LC_MESSAGES" / "django.po")


def test_every_offered_language_but_english_has_a_catalog():
    assert sorted(FOLDERS) == sorted(code for code, _ in settings.LANGUAGES if code != "en")


@pytest.mark.parametrize("folder", FOLDERS.values())
def test_every_text_is_translated_and_keeps_its_placeholders(folder):
    entries = [e for e in catalog(folder) if e.msgid]
    assert len(entries) > 100
    untranslated = [e.msgid for e in entries if not e.translated]
    assert untranslated == [], f"{folder}: not translated (or fuzzy): {untranslated}"
    for e in entries:
        wanted = set(PLACEHOLDER.findall(e.msgid + e.msgid_plural))
        for form in e.msgstr.values():
            assert set(PLACEHOLDER.findall(form)) == wanted, f"{folder}: {e.msgid!r} -> {form!r}"


@pytest.mark.parametrize("folder", FOLDERS.values())
def test_the_compiled_mo_file_is_the_po_file(folder):
    """Run `slotwise manage compilemessages` (in src/slotwise) after editing a .po file."""
    with open(LOCALE / folder / "LC_MESSAGES" / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    expected = {}
    for e in catalog(folder):
        if not e.msgid:
            continue
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural:
            expected.update({(key, i): text for i, text in e.msgstr.items()})
        else:
            expected[key] = e.msgstr[0]
    compiled.pop("", None)  # the header
    assert compiled == expected


@pytest.mark.skipif(
    shutil.which("xgettext") is None and os.environ.get("CI") != "true",
    reason="needs GNU gettext (apt-get install gettext; ./run test installs it)",
)
def test_the_po_files_hold_every_text_the_code_marks(tmp_path, settings):
    """`makemessages` run now finds no text the .po files lack (nor any they hold in vain). Run on a copy of
    the source, so the real catalogs are not touched; after changing a marked text, run it for real
    (README, Translations)."""
    source = tmp_path / "slotwise"
    shutil.copytree(
        settings.BASE_DIR,
        source,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "bench", "migrations"),
    )
    (source / "locale").mkdir()
    settings.LOCALE_PATHS = [source / "locale"]
    cwd = os.getcwd()
    os.chdir(source)
    try:
        call_command("makemessages", locale=["de"], no_location=True, verbosity=0)
    finally:
        os.chdir(cwd)
    marked = {
        (e.msgctxt, e.msgid, e.msgid_plural) for e in read(source / "locale" / "de" / "LC_MESSAGES" / "django.po")
    }
    for folder in FOLDERS.values():
        held = {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalog(folder)}
        assert marked - held == set(), f"{folder}: marked in the code but missing from the .po file"
        assert held - marked == set(), f"{folder}: in the .po file but no longer marked in the code"
