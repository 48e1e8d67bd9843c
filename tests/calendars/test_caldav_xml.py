"""What a CalDAV server answers is parsed without entity expansion (defusedxml)."""

import pytest

from slotwise.calendars.adapters.base import AdapterError
from slotwise.calendars.adapters.caldav import _xml

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>
<d:multistatus xmlns:d="DAV:"><d:response>&c;</d:response></d:multistatus>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d:multistatus xmlns:d="DAV:">&x;</d:multistatus>"""


@pytest.mark.parametrize("body", [LAUGHS, EXTERNAL], ids=["entity expansion", "external entity"])
def test_a_caldav_answer_with_entities_is_refused_not_expanded(body):
    with pytest.raises(AdapterError, match="XML entities or a DTD, which are refused"):
        _xml(body, "PROPFIND https://dav.example/cal/")


def test_a_caldav_answer_that_is_not_xml_says_so():
    with pytest.raises(AdapterError, match="is not XML"):
        _xml(b"<html>502 Bad Gateway", "PROPFIND https://dav.example/cal/")
    assert _xml(b'<d:multistatus xmlns:d="DAV:"/>', "PROPFIND").tag == "{DAV:}multistatus"
