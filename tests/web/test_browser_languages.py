"""Bookings in Japanese (the browser asks for it) and in German (chosen with the page's switcher), through
Chromium, with the confirmation email in that language through a real SMTP server (aiosmtpd)."""

from datetime import date

import pytest

from slotwise.bookings.models import Invitee
from slotwise.jobs.services import run_due

from .conftest import book_first_time, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def new_page(browser, *, locale, size):
    ctx = browser.new_context(
        timezone_id="Europe/Berlin", locale=locale, viewport={"width": size[0], "height": size[1]}
    )
    ctx.set_default_timeout(30000)
    return ctx, ctx.new_page()


def test_a_booking_in_japanese_and_its_email(browser, live_server, acme, frozen, smtp):
    ctx, page = new_page(browser, locale="ja-JP", size=(1280, 800))
    try:
        page.goto(f"{live_server.url}/acme/ana/intro/")
        assert page.inner_text("h2") == "日時を選択"
        assert page.get_attribute("html", "lang") == "ja"
        assert page.inner_text("#month-label") == "2026年3月"
        shot(page, "lang-ja-month-desktop")
        book_first_time(page, date(2026, 3, 3), "山田 花子", "hanako@example.jp")
        assert page.inner_text("h1") == "予約が確定しました"
        assert "2026年3月3日" in page.inner_text("#when")
        shot(page, "lang-ja-confirmation-desktop")
    finally:
        ctx.close()
    assert Invitee.objects.get().language == "ja"
    run_due(frozen)
    (mail,) = smtp.to("hanako@example.jp")
    assert mail["Subject"].strip().startswith("予約確定：")
    body = mail.get_body(("plain",)).get_content()
    assert "山田 花子 様" in body and "の予約が確定しました。" in body
    assert "2026年3月3日火曜日" in body  # CLDR's Japanese date, as on the page


def test_a_booking_in_german_chosen_with_the_switcher_and_its_email(browser, live_server, acme, frozen, smtp):
    ctx, page = new_page(browser, locale="en-US", size=(390, 844))
    try:
        page.goto(f"{live_server.url}/acme/ana/intro/")
        assert page.inner_text("h2") == "Select a date and time"
        page.select_option("#lang", "de")
        page.click(".langbar button")
        page.wait_for_selector("h2:text-is('Datum und Uhrzeit wählen')")
        assert page.inner_text("#month-label") == "März 2026"
        shot(page, "lang-de-month-phone")
        book_first_time(page, date(2026, 3, 3), "Erika Muster", "erika@example.de")
        assert page.inner_text("h1") == "Ihr Termin ist gebucht"
        shot(page, "lang-de-confirmation-phone")
    finally:
        ctx.close()
    assert Invitee.objects.get().language == "de"
    run_due(frozen)
    (mail,) = smtp.to("erika@example.de")
    assert mail["Subject"].strip().startswith("Bestätigt: Intro call mit Ana am ")
    body = mail.get_body(("plain",)).get_content()
    assert "Hallo Erika Muster," in body and "Dienstag, 3. März 2026" in body
    assert "Verschieben: https://book.example.com/reschedule/" in body
