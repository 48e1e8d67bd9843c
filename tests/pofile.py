"""A reader for the gettext .po files in src/slotwise/locale (Django writes them with makemessages): just
enough of the format for the translation tests (msgctxt, msgid, msgid_plural, msgstr[n], flags)."""

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict = field(default_factory=dict)  # index (0 for a singular entry) -> text
    flags: set = field(default_factory=set)
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags


def read(path: Path) -> list[Entry]:
    entries, entry, key = [], Entry(), None

    def flush():
        nonlocal entry, key
        if key is not None:
            entries.append(entry)
        entry, key = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            if key is not None and key != "flags":
                flush()
            entry.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            text = ast.literal_eval(line)
            if key == "msgid":
                entry.msgid += text
            elif key == "msgid_plural":
                entry.msgid_plural += text
            elif key == "msgctxt":
                entry.msgctxt += text
            else:
                entry.msgstr[key] += text
            continue
        word, _, rest = line.partition(" ")
        text = ast.literal_eval(rest)
        if word == "msgctxt":
            if key is not None and key not in ("flags",):
                flush()
            entry.msgctxt, key = text, "msgctxt"
        elif word == "msgid":
            if key not in (None, "msgctxt"):
                flush()
            entry.msgid, key = text, "msgid"
        elif word == "msgid_plural":
            entry.msgid_plural, key = text, "msgid_plural"
        elif word == "msgstr":
            entry.msgstr[0], key = text, 0
        elif word.startswith("msgstr["):
            index = int(word[7:-1])
            entry.msgstr[index], key = text, index
    return [e for e in entries if not e.obsolete]
