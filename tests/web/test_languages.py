"""The invitee's language: chosen on the page (and remembered), else the browser's Accept-Language, else the
event type's default; the booking keeps it, and its later emails speak it. Hosts give an event type's words
in other languages."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from slotwise.bookings.models import Invitee
from slotwise.bookings.services import InviteeInput, booking_create, booking_reschedule, invitee_cancel
from slotwise.core.errors import InvalidInput
from slotwise.jobs.services import run_due
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.selectors import event_type_text

pytestmark = pytest.mark.django_db

PAGE = "/acme/ana/intro/?tz=Europe/Berlin&date=2026-03-03"
GERMAN = "Datum und Uhrzeit wählen"
JAPANESE = "日時を選択"
FRENCH = "Choisissez une date et un horaire"


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def page(client, url=PAGE, **headers):
    resp = client.get(url, **headers)
    assert resp.status_code == 200
    return resp


def test_the_browsers_accept_language_picks_the_page_language(client, acme, frozen):
    resp = page(client, HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5")
    html = resp.content.decode()
    assert GERMAN in html and '<html lang="de">' in html and "30 Minuten" in html
    assert resp["Content-Language"] == "de"
    assert "Accept-Language" in resp["Vary"]


def test_a_regional_browser_language_gets_the_nearest_offered_one(client, acme, frozen):
    html = page(client, HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9").content.decode()
    assert "Escolha data e horário" in html and '<html lang="pt-br">' in html


def test_the_switcher_choice_beats_the_browser_and_is_remembered(client, acme, frozen):
    resp = page(client, PAGE + "&lang=ja", HTTP_ACCEPT_LANGUAGE="de")
    assert JAPANESE in resp.content.decode()
    assert resp.cookies["sw_lang"].value == "ja"
    # The switcher keeps the rest of the page's choices in its form.
    assert '<input type="hidden" name="date" value="2026-03-03">' in resp.content.decode()
    again = page(client, PAGE, HTTP_ACCEPT_LANGUAGE="de")
    assert JAPANESE in again.content.decode()


def test_a_language_slotwise_does_not_offer_is_ignored(client, acme, frozen):
    resp = page(client, PAGE + "&lang=tlh", HTTP_ACCEPT_LANGUAGE="fr")
    assert FRENCH in resp.content.decode() and "sw_lang" not in resp.cookies


def test_without_a_choice_or_a_browser_language_the_event_types_default_speaks(client, acme, frozen):
    scheduling.event_type_update(event_type=acme["intro"], values={"default_language": "fr"}, now=frozen)
    assert FRENCH in page(client).content.decode()
    assert FRENCH in page(client, HTTP_ACCEPT_LANGUAGE="tlh, x-klingon").content.decode()
    assert GERMAN in page(client, HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_the_dashboard_speaks_english_whatever_the_browser_asks(client, acme, frozen):
    acme["ana"].user.set_password("pw-123456")
    acme["ana"].user.save()
    client.login(username=acme["ana"].user.email, password="pw-123456")
    resp = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="de")
    assert resp.status_code == 200 and '<html lang="en">' in resp.content.decode()


@pytest.fixture
def translated(acme, frozen):
    return scheduling.event_type_update(
        event_type=acme["intro"],
        now=frozen,
        values={
            "questions": [
                {
                    "key": "topic",
                    "label": "Topic",
                    "type": "single_choice",
                    "options": ["Sales", "Support"],
                    "required": True,
                }
            ],
            "translations": {
                "de": {
                    "name": "Kennenlernen",
                    "description": "Wir sprechen über Ihr Projekt.",
                    "questions": {"topic": {"label": "Thema", "options": ["Vertrieb", "Hilfe"]}},
                }
            },
        },
    )


def test_the_event_types_own_words_in_the_invitees_language(client, translated, frozen):
    html = page(client, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h1>Kennenlernen</h1>" in html and "Wir sprechen über Ihr Projekt." in html
    form = page(
        client, "/acme/ana/intro/?tz=Europe/Berlin&start=2026-03-03T09:00:00Z", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert ">Thema<" in form
    assert '<option value="Sales" >Vertrieb</option>' in form  # shown translated, answered as the host wrote it
    # A language without a translation falls back to the event type's own words.
    assert "<h1>Intro call</h1>" in page(client, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_a_booking_in_german_keeps_the_hosts_option_and_its_language(client, translated, frozen):
    resp = client.post(
        "/acme/ana/intro/",
        {
            "start": "2026-03-03T09:00:00Z",
            "tz": "Europe/Berlin",
            "browser_tz": "Europe/Berlin",
            "name": "Bo Li",
            "email": "bo@example.com",
            "q_topic": "Support",
        },
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert resp.status_code == 302
    invitee = Invitee.objects.get()
    assert invitee.language == "de"
    assert invitee.answers == [{"key": "topic", "question": "Topic", "answer": "Support"}]
    confirmation = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ihr Termin ist gebucht" in confirmation  # the language they booked in, not today's browser


def test_an_invitees_mistake_is_explained_in_their_language(client, acme, frozen):
    resp = client.post(
        "/acme/ana/intro/",
        {
            "start": "2026-03-03T09:00:00Z",
            "tz": "Europe/Berlin",
            "browser_tz": "Europe/Berlin",
            "name": " ",
            "email": "bo@example.com",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert resp.status_code == 400
    assert "indiquez votre nom" in resp.content.decode()


def test_later_emails_speak_the_language_the_invitee_booked_in(acme, smtp, frozen):
    invitee = booking_create(
        event_type=acme["intro"],
        start=utc(2026, 3, 3, 9),
        now=frozen,
        invitee=InviteeInput(name="Aiko", email="aiko@example.jp", timezone="Asia/Tokyo", language="ja"),
    )
    run_due(frozen)
    moved = booking_reschedule(invitee=invitee, new_start=utc(2026, 3, 4, 9), now=frozen)
    assert moved.language == "ja"
    run_due(frozen)
    invitee_cancel(invitee=moved, now=frozen, reason="")
    run_due(frozen)
    subjects = [m["Subject"].strip() for m in smtp.to("aiko@example.jp")]
    assert [s.split("：")[0] for s in subjects] == ["予約確定", "日時変更", "キャンセル"]
    body = smtp.to("aiko@example.jp")[0].get_body(("plain",)).get_content()
    assert "Aiko 様" in body and "日時の変更： https://book.example.com/reschedule/" in body
    # The host reads English.
    assert [m["Subject"].strip().split(":")[0] for m in smtp.to("ana@acme.test")] == [
        "New call scheduled",
        "Rescheduled",
        "Canceled",
    ]


def test_a_booking_without_a_language_takes_the_event_types_default(acme, frozen):
    scheduling.event_type_update(event_type=acme["intro"], values={"default_language": "es"}, now=frozen)
    invitee = booking_create(
        event_type=acme["intro"],
        start=utc(2026, 3, 3, 9),
        now=frozen,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="UTC"),
    )
    assert invitee.language == "es"


def test_a_booking_in_a_language_slotwise_does_not_offer_is_refused_with_the_list(acme, frozen):
    with pytest.raises(InvalidInput) as exc:
        booking_create(
            event_type=acme["intro"],
            start=utc(2026, 3, 3, 9),
            now=frozen,
            invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="UTC", language="tlh"),
        )
    assert "'tlh' is not a language Slotwise offers" in exc.value.message and "ja (日本語)" in exc.value.message


@pytest.mark.parametrize(
    ("translations", "message"),
    [
        ({"tlh": {"name": "x"}}, "Translations: 'tlh' is not a language Slotwise offers"),
        ({"en": {"name": "Intro"}}, "English is the event type's own language"),
        ({"de": {"name": "Kennen\nlernen"}}, "Name in Deutsch must not contain line breaks"),
        ({"de": {"title": "x"}}, "Deutsch: give a name, a description and questions, nothing else"),
        (
            {"de": {"questions": {"topic": {"label": "Thema", "options": ["a", "b", "c"]}}}},
            "Topic in Deutsch: 3 options given, the question has 2",
        ),
        (
            {"de": {"questions": [{"label": "a"}, {"label": "b"}]}},
            "Questions in Deutsch: 2 given, the event type asks 1",
        ),
        ("German", "Translations: give one entry per language"),
    ],
)
def test_translations_that_cannot_be_stored_say_what_to_fix(acme, frozen, translations, message):
    values = {
        "questions": [{"key": "topic", "label": "Topic", "type": "single_choice", "options": ["A", "B"]}],
        "translations": translations,
    }
    with pytest.raises(InvalidInput) as exc:
        scheduling.event_type_update(event_type=acme["intro"], values=values, now=frozen)
    assert message in exc.value.message
    acme["intro"].refresh_from_db()
    assert acme["intro"].translations == {} and acme["intro"].questions == []


def test_translations_are_normalized_and_empty_ones_dropped(acme, frozen):
    et = scheduling.event_type_update(
        event_type=acme["intro"],
        now=frozen,
        values={"translations": {"pt-BR": {"name": " Conversa inicial "}, "de": {"name": "", "description": ""}}},
    )
    assert et.translations == {"pt-br": {"name": "Conversa inicial"}}
    assert event_type_text(et, "pt-br").name == "Conversa inicial"
    assert event_type_text(et, "de").name == "Intro call"


def test_the_default_language_must_be_one_slotwise_offers(acme, frozen):
    with pytest.raises(InvalidInput) as exc:
        scheduling.event_type_update(event_type=acme["intro"], values={"default_language": "xx"}, now=frozen)
    assert exc.value.message.startswith("Default language: 'xx' is not a language Slotwise offers")


def test_the_dashboard_form_stores_an_event_types_words_in_other_languages(client, acme, frozen):
    ana = acme["ana"]
    ana.user.set_password("pw-123456")
    ana.user.save()
    client.login(username=ana.user.email, password="pw-123456")
    url = f"/dashboard/event-types/{acme['intro'].pk}/"
    form = client.get(url).content.decode()
    assert 'name="tr_ja_name"' in form and 'name="tr_pt_br_name"' in form and 'name="tr_en_name"' not in form
    data = {
        "name": "Intro call",
        "slug": "intro",
        "kind": "one_on_one",
        "location_kind": "video",
        "color": "#2563eb",
        "duration_minutes": "30",
        "increment_minutes": "30",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "min_notice_minutes": "0",
        "window_kind": "rolling",
        "window_days": "60",
        "seats": "1",
        "distribution": "availability",
        "active": "on",
        "default_language": "en",
        "questions_text": "Topic | single_choice | required | Sales, Support",
        "translations_form": "1",
        "tr_ja_name": "はじめての打ち合わせ",
        "tr_ja_description": "",
        "tr_ja_questions": "ご相談内容 | 営業, サポート",
        "tr_de_name": "",
        "tr_de_description": "",
        "tr_de_questions": "",
    }
    resp = client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    acme["intro"].refresh_from_db()
    assert acme["intro"].translations == {
        "ja": {
            "name": "はじめての打ち合わせ",
            "questions": {"topic": {"label": "ご相談内容", "options": ["営業", "サポート"]}},
        }
    }
    again = client.get(url).content.decode()
    assert "ご相談内容 | 営業, サポート" in again
    bad = client.post(url, {**data, "tr_ja_questions": "ご相談内容 | 営業, サポート, その他"})
    assert bad.status_code == 200
    assert "Topic in 日本語: 3 options given, the question has 2" in bad.content.decode()
    assert "ご相談内容 | 営業, サポート, その他" in bad.content.decode()  # what they typed stays


def test_the_ics_download_names_the_meeting_in_the_invitees_language(acme, frozen):
    scheduling.event_type_update(
        event_type=acme["intro"], now=frozen, values={"translations": {"fr": {"name": "Premier échange"}}}
    )
    invitee = booking_create(
        event_type=acme["intro"],
        start=utc(2026, 3, 3, 9),
        now=frozen,
        invitee=InviteeInput(name="Léa", email="lea@example.fr", timezone="Europe/Paris", language="fr"),
    )
    body = Client().get(f"/booked/{invitee.uid}/event.ics").content.decode()
    assert "SUMMARY:Premier échange avec Ana" in body.replace("\r\n ", "")
    assert "Reprogrammer : https://" in body.replace("\r\n ", "") or "Reprogrammer : http" in body.replace("\r\n ", "")


def test_an_unknown_address_gets_a_friendly_page_in_the_layout(client, settings, db):
    settings.DEBUG = False
    resp = client.get("/no/such/page/at/all/", HTTP_ACCEPT_LANGUAGE="es")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "No encontramos esa página" in html and 'href="/static/web/app.css"' in html
    assert "urlpatterns" not in html.lower() and "URLconf" not in html


def test_an_error_gets_a_friendly_page_in_the_layout_without_a_traceback(rf, db):
    from django.views.defaults import server_error

    resp = server_error(rf.get("/acme/ana/intro/"))
    html = resp.content.decode()
    assert resp.status_code == 500 and "Something went wrong on our side" in html
    assert 'href="/static/web/app.css"' in html and "Traceback" not in html


def test_serve_runs_without_debug_pages_unless_asked(monkeypatch):
    from slotwise.cli.main import _no_debug_pages_for_visitors

    monkeypatch.delenv("SLOTWISE_DEBUG", raising=False)
    _no_debug_pages_for_visitors()
    import os

    assert os.environ["SLOTWISE_DEBUG"] == "0"
    monkeypatch.setenv("SLOTWISE_DEBUG", "1")
    _no_debug_pages_for_visitors()
    assert os.environ["SLOTWISE_DEBUG"] == "1"


def test_there_is_a_favicon(client, db):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301 and resp["Location"] == "/static/web/favicon.svg"
    assert client.get("/static/web/favicon.svg")["Content-Type"].startswith("image/svg+xml")


def test_a_reminder_speaks_the_language_the_invitee_booked_in(acme, smtp, frozen):
    from slotwise.notifications.services import reminder_create

    reminder_create(organization=acme["org"], offset_minutes=60)
    booking_create(
        event_type=acme["intro"],
        start=utc(2026, 3, 3, 9),
        now=frozen,
        invitee=InviteeInput(name="Léa", email="lea@example.fr", timezone="Europe/Paris", language="fr"),
    )
    run_due(utc(2026, 3, 3, 8))
    (reminder,) = [m for m in smtp.to("lea@example.fr") if m["Subject"].strip().startswith("Rappel")]
    assert reminder["Subject"].strip().startswith("Rappel : Intro call avec Ana le mar. 3 mars 2026")
    assert "Petit rappel de votre rendez-vous « Intro call » avec Ana." in reminder.get_body(("plain",)).get_content()


def book_in(event_type, language, now, **kw):
    return booking_create(
        event_type=event_type,
        start=utc(2026, 3, 3, 9),  # 25 hours after `frozen`
        now=now,
        invitee=InviteeInput(name="Bo", email="bo@example.com", timezone="Europe/Berlin", language=language),
        **kw,
    )


def test_the_cut_off_is_explained_on_the_cancel_and_reschedule_pages_in_the_invitees_language(client, acme, frozen):
    scheduling.event_type_update(event_type=acme["intro"], values={"cutoff_hours": 48}, now=frozen)
    invitee = book_in(acme["intro"], "de", frozen)
    cancel = client.get(f"/cancel/{invitee.cancel_token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert cancel.status_code == 403
    assert (
        "Dieser Termin beginnt in weniger als 48 Stunden und kann hier daher nicht mehr abgesagt werden. "
        "Für Änderungen schreiben Sie dem Gastgeber an ana@acme.test."
    ) in cancel.content.decode()
    resched = client.get(f"/reschedule/{invitee.reschedule_token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert resched.status_code == 403
    assert "daher nicht mehr verschoben werden" in resched.content.decode()


def test_a_started_meeting_is_explained_in_japanese(client, acme, frozen, monkeypatch):
    from slotwise.web import public

    invitee = book_in(acme["intro"], "ja", frozen)
    monkeypatch.setattr(public, "utc_now", lambda: utc(2026, 3, 3, 9, 10))
    page = client.get(f"/cancel/{invitee.cancel_token}/")
    assert page.status_code == 403
    assert "この予約はすでに始まっているため、ここからはキャンセルできません。" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", "ne peut pas être réservé : l’hôte n’est pas disponible à ce moment-là."),
        ("es", "No se puede reservar 2026-03-03T09:00:00Z: el anfitrión está ocupado a esa hora."),
        ("en", "cannot be booked: the host is busy then."),
    ],
)
def test_why_a_time_cannot_be_booked_is_said_in_the_active_language(acme, frozen, language, words):
    from django.utils import translation

    from slotwise.core.errors import SlotUnavailable

    book_in(acme["intro"], "", frozen)
    with translation.override(language), pytest.raises(SlotUnavailable) as exc:
        book_in(acme["intro"], language, frozen)
    assert words in exc.value.message


def test_a_guest_reads_the_invitation_and_the_decline_page_in_the_invitees_language(client, acme, smtp, frozen):
    scheduling.event_type_update(event_type=acme["intro"], values={"max_guests": 2}, now=frozen)
    invitee = book_in(acme["intro"], "pt-br", frozen, guests=["cy@example.com"])
    run_due(frozen)
    (mail,) = smtp.to("cy@example.com")
    assert mail["Subject"].startswith("Convite: Intro call em ")
    body = mail.get_body(("plain",)).get_content()
    assert "Bo adicionou você como convidado em uma reunião com Ana" in body
    assert "Não pode comparecer? Recuse aqui" in body
    guest = invitee.booking.guests.get()
    page = client.get(f"/guest/{guest.decline_token}/decline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recusar esta reunião?" in page and "terça-feira, 3 de março de 2026" in page


def test_too_many_guests_is_said_in_the_pages_language(client, acme, frozen):
    scheduling.event_type_update(event_type=acme["intro"], values={"max_guests": 1}, now=frozen)
    form = {
        "start": "2026-03-03T09:00:00Z",
        "tz": "Europe/Berlin",
        "browser_tz": "Europe/Berlin",
        "name": "Bo Li",
        "email": "bo@example.com",
        "guests": "a@example.com, b@example.com",
    }
    page = client.get("/acme/ana/intro/2026-03-03T09:00:00Z?tz=Europe/Berlin", HTTP_ACCEPT_LANGUAGE="es")
    assert "(opcional, hasta 1; direcciones de correo separadas por comas)" in page.content.decode()
    resp = client.post("/acme/ana/intro/", form, HTTP_ACCEPT_LANGUAGE="es")
    assert resp.status_code == 400 and "puedes añadir como máximo 1 invitado" in resp.content.decode()


def test_a_request_waiting_for_the_host_says_so_in_the_invitees_language(client, acme, smtp, frozen):
    scheduling.event_type_update(event_type=acme["intro"], values={"requires_confirmation": True}, now=frozen)
    invitee = book_in(acme["intro"], "fr", frozen)
    run_due(frozen)
    (mail,) = smtp.to("bo@example.com")
    assert mail["Subject"].startswith("En attente de la confirmation de Ana : Intro call le ")
    assert "Vous avez changé d’avis ? Retirez la demande :" in mail.get_body(("plain",)).get_content()
    page = client.get(f"/booked/{invitee.uid}/").content.decode()
    assert "Votre demande est envoyée" in page and "En attente de l’hôte" in page
    assert "Retirer la demande" in page and "no longer on" not in page


def test_an_away_host_is_announced_in_the_pages_language_with_a_cldr_date(client, acme, frozen):
    scheduling.out_of_office_add(host=acme["ana"], first="2026-03-02", last="2026-03-04", reason="Konferenz")
    page = client.get("/acme/ana/intro/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ana ist bis Mittwoch, 4. März abwesend (Konferenz): An diesen Tagen gibt es keine Zeiten." in page
