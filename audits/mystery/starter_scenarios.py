"""The scenarios shipped with Q-CRM, in German and English, as a starting point for managers.

They are data, not interface text: each language has its own scripts (the tester writes in the
language of the audited service), so they are not in the translation catalogue. Square brackets
mark what the tester fills in from the persona's notes.
"""

from __future__ import annotations

from sqlalchemy import select

from audits.mystery.models import Difficulty, Scenario, ScenarioCategory
from audits.mystery.scenarios import ScenarioData, add_scenario
from qcrm.extensions import db
from qcrm.models import ChannelType

PHONE = ChannelType.PHONE
EMAIL = ChannelType.EMAIL
WEB_FORM = ChannelType.WEB_FORM
LIVE_CHAT = ChannelType.LIVE_CHAT
FACEBOOK = ChannelType.FACEBOOK
X = ChannelType.X
INSTAGRAM = ChannelType.INSTAGRAM
WHATSAPP = ChannelType.WHATSAPP

STARTER_SCENARIOS: tuple[ScenarioData, ...] = (
    # German ------------------------------------------------------------------------------
    ScenarioData(
        title="Frage zum Tarifwechsel",
        category=ScenarioCategory.QUESTION,
        difficulty=Difficulty.EASY,
        channel_types=(PHONE, EMAIL, WEB_FORM, LIVE_CHAT, FACEBOOK, WHATSAPP),
        language="de",
        script=(
            "Guten Tag,\n"
            "ich bin seit drei Jahren Kundin bzw. Kunde bei Ihnen (Kundennummer [Kundennummer]) "
            "und möchte in einen günstigeren Tarif wechseln. Auf Ihrer Website sehe ich mehrere "
            "Tarife, bin mir aber nicht sicher, welcher für mich passt – mein Verbrauch liegt "
            "bei etwa [Jahresverbrauch] im Jahr.\n"
            "Welcher Tarif lohnt sich für mich, ab wann gilt der Wechsel und entstehen dabei "
            "Kosten oder eine neue Mindestlaufzeit?\n"
            "Vielen Dank und freundliche Grüße\n"
            "[Name]"
        ),
        expected_answer=(
            "Nennt einen oder zwei passende Tarife mit Preis und Grundgebühr für den genannten "
            "Verbrauch.\n"
            "Erklärt den Weg des Wechsels (Kundenportal, Formular oder telefonisch) und den "
            "Termin, ab dem der neue Tarif gilt.\n"
            "Sagt klar, ob Kosten, eine neue Mindestlaufzeit oder eine Preisgarantie damit "
            "verbunden sind."
        ),
        solved_criteria=(
            "Eine konkrete Tarifempfehlung passend zum Verbrauch.\n"
            "Weg und Termin des Wechsels genannt.\n"
            "Aussage zu Kosten und Laufzeit.\n"
            "Kein Verweis nur auf die Website ohne eigene Antwort."
        ),
    ),
    ScenarioData(
        title="Beschwerde über eine falsche Rechnung",
        category=ScenarioCategory.COMPLAINT,
        difficulty=Difficulty.MEDIUM,
        channel_types=(PHONE, EMAIL, WEB_FORM, FACEBOOK, X),
        language="de",
        script=(
            "Hallo,\n"
            "meine letzte Jahresabrechnung (Rechnung vom [Datum], Kundennummer [Kundennummer]) "
            "ist fast doppelt so hoch wie im Vorjahr, obwohl ich nichts verändert habe. Der "
            "abgerechnete Zählerstand stimmt nicht mit dem überein, den ich selbst abgelesen und "
            "fotografiert habe ([Zählerstand]).\n"
            "Ich bin ehrlich gesagt ziemlich verärgert. Bitte prüfen Sie die Rechnung und "
            "korrigieren Sie sie. Muss ich den Betrag trotzdem erst einmal zahlen?\n"
            "[Name]"
        ),
        expected_answer=(
            "Entschuldigt sich bzw. zeigt Verständnis für den Ärger.\n"
            "Sagt zu, die Rechnung anhand des übermittelten Zählerstands zu prüfen, und nennt, "
            "bis wann eine korrigierte Rechnung kommt.\n"
            "Erklärt, dass der strittige Betrag bis zur Klärung gestundet bzw. die Abbuchung "
            "ausgesetzt werden kann.\n"
            "In öffentlichen Kanälen: bittet um Fortsetzung in einer privaten Nachricht, ohne "
            "Kundendaten öffentlich zu erfragen."
        ),
        solved_criteria=(
            "Prüfung zugesagt und Zeitraum genannt.\n"
            "Klare Aussage, was mit der Zahlung bis zur Klärung geschieht.\n"
            "Persönlicher, nicht vorgefertigter Ton.\n"
            "Kundendaten nur in einem privaten Kanal erfragt."
        ),
    ),
    ScenarioData(
        title="Stand einer Bestellung",
        category=ScenarioCategory.ORDER,
        difficulty=Difficulty.EASY,
        channel_types=(PHONE, EMAIL, LIVE_CHAT, WHATSAPP, FACEBOOK),
        language="de",
        script=(
            "Guten Tag,\n"
            "ich habe am [Bestelldatum] über Ihre Website bestellt (Bestellnummer "
            "[Bestellnummer]). Als Lieferzeit waren drei bis fünf Werktage angegeben, bisher ist "
            "aber nichts angekommen und ich habe auch keine Versandbestätigung bekommen.\n"
            "Können Sie mir sagen, wo meine Bestellung steckt und wann sie kommt?\n"
            "Danke und viele Grüße\n"
            "[Name]"
        ),
        expected_answer=(
            "Nennt den aktuellen Status der Bestellung und einen voraussichtlichen Liefertermin, "
            "gegebenenfalls mit Sendungsnummer.\n"
            "Erklärt den Grund der Verzögerung, falls es eine gibt, und bietet bei längerer "
            "Verzögerung eine Alternative oder Stornierung an."
        ),
        solved_criteria=(
            "Status und voraussichtlicher Liefertermin genannt.\n"
            "Sendungsnummer oder nächster Schritt genannt.\n"
            "Keine Aufforderung, sich an einen anderen Kanal zu wenden, ohne dass das nötig ist."
        ),
    ),
    ScenarioData(
        title="Kündigung des Vertrags",
        category=ScenarioCategory.CANCELLATION,
        difficulty=Difficulty.MEDIUM,
        channel_types=(PHONE, EMAIL, WEB_FORM),
        language="de",
        script=(
            "Sehr geehrte Damen und Herren,\n"
            "hiermit möchte ich meinen Vertrag (Kundennummer [Kundennummer]) zum "
            "nächstmöglichen Zeitpunkt kündigen.\n"
            "Bitte bestätigen Sie mir die Kündigung schriftlich und teilen Sie mir mit, zu "
            "welchem Datum der Vertrag endet und ob ich noch etwas tun muss (z. B. Zählerstand "
            "mitteilen oder Geräte zurückschicken).\n"
            "Mit freundlichen Grüßen\n"
            "[Name]"
        ),
        expected_answer=(
            "Bestätigt den Eingang der Kündigung und nennt das genaue Vertragsende.\n"
            "Erklärt die nächsten Schritte (Schlussablesung, Rückgabe, Schlussrechnung).\n"
            "Fragt höchstens einmal und ohne Druck nach dem Grund oder macht ein Angebot; "
            "die Kündigung wird nicht erschwert."
        ),
        solved_criteria=(
            "Kündigung bestätigt mit Datum des Vertragsendes.\n"
            "Nächste Schritte genannt.\n"
            "Kein Zwang zu einem anderen Kanal (z. B. „nur per Brief“), keine Hinhaltetaktik."
        ),
    ),
    ScenarioData(
        title="Öffnungszeiten des Kundencenters",
        category=ScenarioCategory.INFORMATION_REQUEST,
        difficulty=Difficulty.EASY,
        channel_types=(),
        language="de",
        script=(
            "Hallo, ich möchte nächste Woche persönlich in Ihr Kundencenter in [Ort] kommen, "
            "um einen Vertrag zu besprechen. Wann haben Sie geöffnet, auch am Samstag? Und "
            "brauche ich einen Termin?"
        ),
        expected_answer=(
            "Nennt die Öffnungszeiten des genannten Kundencenters einschließlich Samstag.\n"
            "Sagt, ob ein Termin nötig oder empfehlenswert ist und wie man ihn vereinbart."
        ),
        solved_criteria=(
            "Richtige Öffnungszeiten für den genannten Standort.\n"
            "Klare Aussage zur Terminvereinbarung."
        ),
    ),
    ScenarioData(
        title="Kundenportal: Anmeldung schlägt fehl",
        category=ScenarioCategory.TECHNICAL_PROBLEM,
        difficulty=Difficulty.HARD,
        channel_types=(PHONE, EMAIL, WEB_FORM, LIVE_CHAT, X),
        language="de",
        script=(
            "Hallo,\n"
            "ich komme seit zwei Tagen nicht mehr in Ihr Kundenportal. Nach der Eingabe von "
            "E-Mail-Adresse und Passwort erscheint nur „Es ist ein Fehler aufgetreten“. Das "
            "Zurücksetzen des Passworts habe ich versucht, die E-Mail dazu kommt aber nicht an "
            "(auch nicht im Spam-Ordner). Ich nutze [Browser] auf [Gerät].\n"
            "Ich muss dringend meinen Zählerstand eintragen. Was kann ich tun?\n"
            "[Name]"
        ),
        expected_answer=(
            "Fragt gezielt nach, was zur Eingrenzung fehlt, oder nennt eine bekannte Störung.\n"
            "Gibt konkrete Schritte (z. B. Cache leeren, anderer Browser, Konto entsperren) oder "
            "setzt den Zugang selbst zurück.\n"
            "Nennt einen anderen Weg für das dringende Anliegen (Zählerstand per Formular, "
            "Telefon oder in der Antwort)."
        ),
        solved_criteria=(
            "Problem gelöst oder verbindlicher nächster Schritt mit Zeitangabe.\n"
            "Alternative für den Zählerstand genannt.\n"
            "Keine Standardantwort, die die geschilderten Versuche ignoriert."
        ),
    ),
    ScenarioData(
        title="Umzug: Vertrag mitnehmen",
        category=ScenarioCategory.QUESTION,
        difficulty=Difficulty.MEDIUM,
        channel_types=(PHONE, EMAIL, WEB_FORM, LIVE_CHAT),
        language="de",
        script=(
            "Guten Tag,\n"
            "ich ziehe zum [Umzugsdatum] innerhalb von [Ort] in eine neue Wohnung. Kann ich "
            "meinen Vertrag (Kundennummer [Kundennummer]) einfach mitnehmen? Was brauchen Sie "
            "dafür von mir, und was passiert mit dem Zähler in der alten Wohnung?\n"
            "Freundliche Grüße\n"
            "[Name]"
        ),
        expected_answer=(
            "Bestätigt, dass der Vertrag umgezogen werden kann (oder erklärt, warum nicht).\n"
            "Nennt die benötigten Angaben: neue Adresse, Einzugsdatum, Zählernummer und "
            "Zählerstände bei Aus- und Einzug.\n"
            "Erklärt den Weg (Umzugsformular, Portal, Telefon) und die Fristen."
        ),
        solved_criteria=(
            "Mitnahme des Vertrags beantwortet.\n"
            "Vollständige Liste der benötigten Angaben.\n"
            "Weg und Frist für die Meldung genannt."
        ),
    ),
    ScenarioData(
        title="Auskunft über gespeicherte Daten (DSGVO)",
        category=ScenarioCategory.INFORMATION_REQUEST,
        difficulty=Difficulty.HARD,
        channel_types=(EMAIL, WEB_FORM, FACEBOOK),
        language="de",
        script=(
            "Sehr geehrte Damen und Herren,\n"
            "nach Art. 15 DSGVO bitte ich um Auskunft, welche personenbezogenen Daten Sie über "
            "mich speichern, zu welchem Zweck, woher sie stammen und an wen Sie sie weitergeben. "
            "Bitte schicken Sie mir auch eine Kopie der Daten.\n"
            "Mit freundlichen Grüßen\n"
            "[Name], [Anschrift]"
        ),
        expected_answer=(
            "Bestätigt den Eingang des Auskunftsersuchens.\n"
            "Nennt die Frist (in der Regel ein Monat) und dass die Auskunft kostenlos ist.\n"
            "Erklärt, wie die Identität geprüft wird, ohne unnötige Daten zu verlangen.\n"
            "In öffentlichen Kanälen: verweist auf einen privaten, sicheren Weg und erfragt keine "
            "Daten öffentlich."
        ),
        solved_criteria=(
            "Eingang bestätigt, Frist genannt.\n"
            "Angemessene Identitätsprüfung über einen privaten Kanal.\n"
            "Kein Abwimmeln („wenden Sie sich an …“) ohne zuständige Stelle zu nennen."
        ),
    ),
    # English -----------------------------------------------------------------------------
    ScenarioData(
        title="Question about a tariff change",
        category=ScenarioCategory.QUESTION,
        difficulty=Difficulty.EASY,
        channel_types=(PHONE, EMAIL, WEB_FORM, LIVE_CHAT, FACEBOOK, WHATSAPP),
        language="en",
        script=(
            "Hello,\n"
            "I have been a customer of yours for three years (customer number [customer "
            "number]) and would like to switch to a cheaper tariff. Your website lists several "
            "tariffs, but I am not sure which one suits me – I use about [annual consumption] a "
            "year.\n"
            "Which tariff would you recommend, from when would the change apply, and are there "
            "any fees or a new minimum term?\n"
            "Many thanks and kind regards,\n"
            "[name]"
        ),
        expected_answer=(
            "Recommends one or two suitable tariffs with price and standing charge for the "
            "stated consumption.\n"
            "Explains how to switch (customer portal, form or phone) and from which date the "
            "new tariff applies.\n"
            "Says clearly whether there are fees, a new minimum term or a price guarantee."
        ),
        solved_criteria=(
            "A concrete tariff recommendation matching the consumption.\n"
            "How and from when the change applies.\n"
            "A statement on fees and term.\n"
            "Not merely a link to the website without an answer of its own."
        ),
    ),
    ScenarioData(
        title="Complaint about a wrong bill",
        category=ScenarioCategory.COMPLAINT,
        difficulty=Difficulty.MEDIUM,
        channel_types=(PHONE, EMAIL, WEB_FORM, FACEBOOK, X),
        language="en",
        script=(
            "Hi,\n"
            "my latest annual bill (dated [date], customer number [customer number]) is almost "
            "twice as high as last year's, although nothing has changed at home. The meter "
            "reading on the bill does not match the one I read and photographed myself "
            "([meter reading]).\n"
            "To be honest, I am quite annoyed. Please check the bill and correct it. Do I still "
            "have to pay the amount in the meantime?\n"
            "[name]"
        ),
        expected_answer=(
            "Apologises or shows understanding for the annoyance.\n"
            "Promises to check the bill against the reading provided and says when a corrected "
            "bill will follow.\n"
            "Explains that the disputed amount can be deferred or the direct debit paused until "
            "it is resolved.\n"
            "In public channels: asks to continue in a private message without asking for "
            "customer data in public."
        ),
        solved_criteria=(
            "Check promised with a time frame.\n"
            "A clear statement on what happens with the payment until it is resolved.\n"
            "A personal rather than canned tone.\n"
            "Customer data asked for only in a private channel."
        ),
    ),
    ScenarioData(
        title="Status of an order",
        category=ScenarioCategory.ORDER,
        difficulty=Difficulty.EASY,
        channel_types=(PHONE, EMAIL, LIVE_CHAT, WHATSAPP, FACEBOOK),
        language="en",
        script=(
            "Hello,\n"
            "I placed an order on your website on [order date] (order number [order number]). "
            "Delivery was given as three to five working days, but nothing has arrived yet and "
            "I have not received a shipping confirmation either.\n"
            "Could you tell me where my order is and when it will arrive?\n"
            "Thanks and best regards,\n"
            "[name]"
        ),
        expected_answer=(
            "Gives the current status of the order and an expected delivery date, with a "
            "tracking number where there is one.\n"
            "Explains the reason for any delay and, for a longer delay, offers an alternative "
            "or cancellation."
        ),
        solved_criteria=(
            "Status and expected delivery date given.\n"
            "Tracking number or next step given.\n"
            "No needless referral to another channel."
        ),
    ),
    ScenarioData(
        title="Cancelling the contract",
        category=ScenarioCategory.CANCELLATION,
        difficulty=Difficulty.MEDIUM,
        channel_types=(PHONE, EMAIL, WEB_FORM),
        language="en",
        script=(
            "Dear Sir or Madam,\n"
            "I hereby cancel my contract (customer number [customer number]) at the earliest "
            "possible date.\n"
            "Please confirm the cancellation in writing and let me know on which date the "
            "contract ends and whether I need to do anything else (for example send a final "
            "meter reading or return equipment).\n"
            "Yours faithfully,\n"
            "[name]"
        ),
        expected_answer=(
            "Confirms receipt of the cancellation and gives the exact end date of the contract.\n"
            "Explains the next steps (final meter reading, returns, final bill).\n"
            "Asks for the reason or makes an offer at most once and without pressure; the "
            "cancellation is not made harder."
        ),
        solved_criteria=(
            "Cancellation confirmed with the end date.\n"
            "Next steps given.\n"
            "No forced channel switch (e.g. “by letter only”), no stalling."
        ),
    ),
    ScenarioData(
        title="Opening hours of the customer centre",
        category=ScenarioCategory.INFORMATION_REQUEST,
        difficulty=Difficulty.EASY,
        channel_types=(),
        language="en",
        script=(
            "Hi, I would like to come to your customer centre in [town] next week to discuss my "
            "contract. When are you open, including Saturdays? And do I need an appointment?"
        ),
        expected_answer=(
            "Gives the opening hours of the customer centre named, Saturday included.\n"
            "Says whether an appointment is needed or advisable and how to make one."
        ),
        solved_criteria=(
            "Correct opening hours for the location named.\nA clear statement about appointments."
        ),
    ),
    ScenarioData(
        title="Customer portal: login fails",
        category=ScenarioCategory.TECHNICAL_PROBLEM,
        difficulty=Difficulty.HARD,
        channel_types=(PHONE, EMAIL, WEB_FORM, LIVE_CHAT, X),
        language="en",
        script=(
            "Hello,\n"
            "for two days I have not been able to log in to your customer portal. After "
            "entering my e-mail address and password I only see “An error has occurred”. I "
            "tried resetting the password, but the e-mail never arrives (not in the spam folder "
            "either). I use [browser] on [device].\n"
            "I urgently need to submit my meter reading. What can I do?\n"
            "[name]"
        ),
        expected_answer=(
            "Asks specifically for what is missing to narrow the problem down, or names a known "
            "outage.\n"
            "Gives concrete steps (e.g. clear the cache, another browser, unlock the account) or "
            "resets the access itself.\n"
            "Offers another way for the urgent matter (meter reading by form, phone or in the "
            "reply)."
        ),
        solved_criteria=(
            "Problem solved, or a firm next step with a time frame.\n"
            "An alternative for the meter reading offered.\n"
            "No standard reply that ignores what the customer already tried."
        ),
    ),
    ScenarioData(
        title="Moving house: taking the contract along",
        category=ScenarioCategory.QUESTION,
        difficulty=Difficulty.MEDIUM,
        channel_types=(PHONE, EMAIL, WEB_FORM, LIVE_CHAT),
        language="en",
        script=(
            "Hello,\n"
            "I am moving to a new flat in [town] on [moving date]. Can I simply take my "
            "contract (customer number [customer number]) with me? What do you need from me, and "
            "what happens to the meter in the old flat?\n"
            "Kind regards,\n"
            "[name]"
        ),
        expected_answer=(
            "Confirms that the contract can move along (or explains why not).\n"
            "Lists the details needed: new address, moving-in date, meter number and meter "
            "readings at moving out and in.\n"
            "Explains how to report the move (moving form, portal, phone) and the deadlines."
        ),
        solved_criteria=(
            "Taking the contract along answered.\n"
            "A complete list of the details needed.\n"
            "How and by when to report the move."
        ),
    ),
    ScenarioData(
        title="Access to stored personal data (GDPR)",
        category=ScenarioCategory.INFORMATION_REQUEST,
        difficulty=Difficulty.HARD,
        channel_types=(EMAIL, WEB_FORM, FACEBOOK),
        language="en",
        script=(
            "Dear Sir or Madam,\n"
            "under Art. 15 GDPR I request access to the personal data you hold about me: which "
            "data, for what purpose, where it comes from and to whom you disclose it. Please "
            "also send me a copy of the data.\n"
            "Yours faithfully,\n"
            "[name], [address]"
        ),
        expected_answer=(
            "Confirms receipt of the access request.\n"
            "States the deadline (usually one month) and that access is free of charge.\n"
            "Explains how identity is verified without asking for needless data.\n"
            "In public channels: points to a private, secure way and asks for no data in public."
        ),
        solved_criteria=(
            "Receipt confirmed, deadline given.\n"
            "A reasonable identity check through a private channel.\n"
            "No brush-off (“please contact …”) without naming who is responsible."
        ),
    ),
)


def load_starter_scenarios() -> int:
    """Add the starter scenarios that are missing (by title and language); returns how many.

    A starter scenario a manager has archived or edited under the same title is not added again.
    """
    # lower-cased in Python: SQLite's lower() leaves "Ö" as it is
    existing = {
        (title.lower(), language)
        for title, language in db.session.execute(select(Scenario.title, Scenario.language))
    }
    added = 0
    for data in STARTER_SCENARIOS:
        if (data.title.lower(), data.language) in existing:
            continue
        add_scenario(data)
        added += 1
    db.session.commit()
    return added
