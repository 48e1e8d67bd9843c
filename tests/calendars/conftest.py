import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def radicale_server(tmp_path_factory):
    """A real Radicale on 127.0.0.1: any user name, no password check, storage in a tmp dir."""
    port = free_port()
    folder = tmp_path_factory.mktemp("radicale")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "none",
            "--storage-filesystem-folder",
            str(folder),
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            requests.get(base, timeout=0.2)
            break
        except requests.RequestException:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("Radicale did not start")
    yield base
    proc.terminate()
    proc.wait(5)


class Dav:
    """Plays the host's own calendar app: writes straight to Radicale, as a phone or Thunderbird would."""

    def __init__(self, base: str):
        self.base = base
        self.user = f"u{uuid.uuid4().hex[:8]}"
        self.s = requests.Session()
        self.s.auth = (self.user, "pw")

    def mkcalendar(self, name: str) -> str:
        url = f"{self.base}{self.user}/{name}/"
        r = self.s.request("MKCALENDAR", url)
        assert r.status_code == 201, r.text
        return url

    def put(self, calendar_url: str, name: str, ics: str) -> None:
        r = self.s.put(calendar_url + name, data=ics.encode(), headers={"Content-Type": "text/calendar"})
        assert r.status_code in (201, 204), r.text

    def delete(self, calendar_url: str, name: str) -> None:
        assert self.s.delete(calendar_url + name).status_code in (200, 204)

    def objects(self, calendar_url: str) -> dict[str, str]:
        """{href: iCalendar text} of everything in the calendar."""
        body = (
            '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            '<d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>'
        )
        r = self.s.request("REPORT", calendar_url, data=body, headers={"Depth": "1", "Content-Type": "application/xml"})
        from xml.etree import ElementTree as ET

        ns = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}
        out = {}
        for resp in ET.fromstring(r.content).iterfind("d:response", ns):
            data = resp.findtext(".//c:calendar-data", default="", namespaces=ns)
            if data:
                out[resp.findtext("d:href", namespaces=ns)] = data
        return out


@pytest.fixture
def dav(radicale_server):
    return Dav(radicale_server)


def vevent(uid: str, body: str) -> str:
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    return (
        "\r\n".join(
            ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *vevent_lines(uid, lines), "END:VCALENDAR"]
        )
        + "\r\n"
    )


def vevent_lines(uid, lines):
    out, current = [], ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z"]
    for line in lines:
        if line == "---":  # next VEVENT of the same resource (an overridden instance)
            out += current + ["END:VEVENT"]
            current = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z"]
        else:
            current.append(line)
    return out + current + ["END:VEVENT"]
