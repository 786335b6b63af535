"""The standard scorecard Q-CRM ships, in German and in English (one language per scorecard).

The criteria follow DOMAIN.md: transaction items (most of them derived from the contact log's
timestamps), communication items and handling items, each on one quality dimension, with
weights, two knock-outs and a target (Soll) pass rate. Item texts are data, not interface
strings: a scorecard is written in the language its testers and readers use.
"""

from __future__ import annotations

from sqlalchemy import select

from audits.scorecards.models import (
    Comparison,
    DerivedMeasure,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardVersion,
)
from audits.scorecards.versions import ItemData, append_item
from qcrm.extensions import db

T, C, H = MethodDimension.TRANSACTION, MethodDimension.COMMUNICATION, MethodDimension.HANDLING
REACH = QualityDimension.REACHABILITY
SPEED = QualityDimension.RESPONSIVENESS
INDIVIDUAL = QualityDimension.INDIVIDUALITY
COMPETENCE = QualityDimension.COMPETENCE
PROCESS = QualityDimension.PROCESS

STANDARD_NAMES = {"de": "Q-CRM Standard (de)", "en": "Q-CRM Standard (en)"}
DESCRIPTIONS = {
    "de": "Standard-Prüfbogen für Mystery-Kontakte: Transaktion (Erreichbarkeit und "
    "Reaktionszeit), Kommunikation (Individualität und Kompetenz) und Handhabung (Prozess). "
    "Als Vorlage gedacht: Kriterien, Gewichte und Zielwerte an den Kunden anpassen.",
    "en": "Standard scorecard for mystery contacts: transaction (reachability and "
    "responsiveness), communication (individuality and competence) and handling (process). "
    "Meant as a template: adapt criteria, weights and targets to the client.",
}


def _item(
    method: MethodDimension,
    quality: QualityDimension,
    texts: dict[str, tuple[str, str]],
    *,
    item_type: ItemType = ItemType.YES_NO,
    weight: float = 1.0,
    target: float | None = 0.9,
    not_applicable: bool = False,
    knockout: KnockoutScope | None = None,
    threshold: float | None = None,
    comparison: Comparison | None = None,
    derived: DerivedMeasure | None = None,
) -> dict[str, ItemData]:
    """One criterion in every language: {language: ItemData}."""
    return {
        language: ItemData(
            method_dimension=method,
            quality_dimension=quality,
            text=text,
            help_text=help_text,
            item_type=item_type,
            allows_not_applicable=not_applicable,
            weight=weight,
            knockout=knockout,
            threshold=threshold,
            comparison=comparison,
            target_pass_rate=target,
            derived=derived,
        )
        for language, (text, help_text) in texts.items()
    }


STANDARD_ITEMS: tuple[dict[str, ItemData], ...] = (
    # Transaction: reachability and responsiveness ---------------------------------------------
    _item(
        T,
        REACH,
        {
            "de": (
                "Anfrage innerhalb der Antwortfrist beantwortet",
                "Wird aus dem Kontaktprotokoll berechnet. Eine automatische Eingangsbestätigung "
                "ist keine Antwort; eine Antwort nach der Frist zählt als nicht beantwortet.",
            ),
            "en": (
                "Inquiry answered within the answer timeout",
                "Computed from the contact log. An automatic acknowledgement is not an answer; "
                "an answer after the timeout counts as not answered.",
            ),
        },
        weight=3,
        derived=DerivedMeasure.ANSWERED,
    ),
    _item(
        T,
        SPEED,
        {
            "de": (
                "Erste Antwort innerhalb der Zielzeit",
                "Wird aus dem Kontaktprotokoll berechnet, gemessen an der Zielzeit der Welle.",
            ),
            "en": (
                "First response within the target time",
                "Computed from the contact log, against the wave's target time.",
            ),
        },
        weight=2,
        derived=DerivedMeasure.FIRST_RESPONSE_WITHIN_TARGET,
    ),
    _item(
        T,
        COMPETENCE,
        {
            "de": (
                "Anliegen mit der ersten Antwort gelöst",
                "Wird aus dem Kontaktprotokoll berechnet: gelöst im Sinne des Szenarios. "
                "Entfällt, wenn keine Antwort kam.",
            ),
            "en": (
                "Request solved by the first answer",
                "Computed from the contact log: solved as the scenario defines it. Not "
                "applicable when no answer came.",
            ),
        },
        weight=2,
        target=0.8,
        not_applicable=True,
        derived=DerivedMeasure.SOLVED_AT_FIRST_ANSWER,
    ),
    _item(
        T,
        REACH,
        {
            "de": (
                "Beim ersten Versuch erreicht",
                "Hotline, Chat oder Kontaktformular nahmen die Anfrage beim ersten Versuch an "
                "(kein Besetztzeichen, keine Fehlermeldung, keine Warteschleife ohne Ende).",
            ),
            "en": (
                "Reached at the first attempt",
                "Hotline, chat or contact form accepted the inquiry at the first attempt (no "
                "busy line, no error message, no endless queue).",
            ),
        },
    ),
    _item(
        T,
        REACH,
        {
            "de": (
                "Benötigte Kontaktversuche",
                "Anzahl der Versuche, bis die Anfrage angenommen wurde.",
            ),
            "en": (
                "Contact attempts needed",
                "Number of attempts until the inquiry was accepted.",
            ),
        },
        item_type=ItemType.NUMBER,
        threshold=1,
        comparison=Comparison.AT_MOST,
    ),
    _item(
        T,
        SPEED,
        {
            "de": (
                "Wartezeit bis zum ersten Mitarbeiterkontakt",
                "Telefon, Chat und vor Ort: Zeit in der Warteschleife oder Schlange. Entfällt "
                "bei schriftlichen Kanälen.",
            ),
            "en": (
                "Waiting time until a person responded",
                "Phone, chat and in person: time in the queue. Not applicable to written channels.",
            ),
        },
        item_type=ItemType.DURATION,
        threshold=120,
        comparison=Comparison.AT_MOST,
        target=0.8,
        not_applicable=True,
    ),
    # Communication: individuality and competence ----------------------------------------------
    _item(
        C,
        INDIVIDUAL,
        {
            "de": (
                "Persönliche Anrede mit Namen",
                "Die Persona wird mit ihrem Namen angesprochen.",
            ),
            "en": ("Personal greeting by name", "The persona is addressed by name."),
        },
    ),
    _item(
        C,
        INDIVIDUAL,
        {
            "de": (
                "Individuelle statt vorgefertigter Antwort",
                "Die Antwort geht auf die konkrete Frage ein und ist kein Textbaustein.",
            ),
            "en": (
                "Individual instead of canned answer",
                "The answer deals with the actual question and is not a boilerplate text.",
            ),
        },
        weight=2,
        target=0.8,
    ),
    _item(
        C,
        COMPETENCE,
        {
            "de": (
                "Antwort ist sachlich richtig",
                "Gemessen an der erwarteten Antwort des Szenarios. K.-o.-Kriterium: eine "
                "falsche Antwort setzt die Kommunikation auf 0.",
            ),
            "en": (
                "Answer is factually correct",
                "Against the scenario's expected answer. Knock-out: a wrong answer sets "
                "communication to 0.",
            ),
        },
        weight=3,
        target=0.95,
        knockout=KnockoutScope.DIMENSION,
    ),
    _item(
        C,
        COMPETENCE,
        {
            "de": (
                "Antwort ist vollständig",
                "Alle Teilfragen sind beantwortet; nichts Wesentliches fehlt.",
            ),
            "en": (
                "Answer is complete",
                "Every part of the question is answered; nothing essential is missing.",
            ),
        },
        weight=2,
        target=0.8,
    ),
    _item(
        C,
        INDIVIDUAL,
        {
            "de": (
                "Freundlicher, wertschätzender Ton",
                "1 = unfreundlich oder herablassend, 3 = neutral, 5 = ausgesprochen freundlich "
                "und zugewandt.",
            ),
            "en": (
                "Friendly, appreciative tone",
                "1 = unfriendly or condescending, 3 = neutral, 5 = remarkably friendly and "
                "attentive.",
            ),
        },
        item_type=ItemType.SCALE,
        weight=2,
        target=0.8,
    ),
    _item(
        C,
        COMPETENCE,
        {
            "de": (
                "Rechtschreibung und Grammatik korrekt",
                "Entfällt bei mündlichen Kontakten.",
            ),
            "en": ("Correct spelling and grammar", "Not applicable to spoken contacts."),
        },
        not_applicable=True,
    ),
    _item(
        C,
        INDIVIDUAL,
        {
            "de": (
                "Abschluss nach Standard",
                "Gruß, Name der Mitarbeiterin oder des Mitarbeiters und ein Angebot für "
                "weitere Fragen.",
            ),
            "en": (
                "Closing as the standard says",
                "Sign-off, the agent's name and an offer to help with further questions.",
            ),
        },
    ),
    # Handling: process ---------------------------------------------------------------------
    _item(
        H,
        PROCESS,
        {
            "de": (
                "An den richtigen Fachbereich weitergeleitet",
                "Entfällt, wenn keine Weiterleitung nötig war.",
            ),
            "en": (
                "Routed to the right second level",
                "Not applicable when no routing was needed.",
            ),
        },
        weight=2,
        not_applicable=True,
    ),
    _item(
        H,
        PROCESS,
        {
            "de": (
                "Sensible Daten in einen privaten Kanal verlagert",
                "Öffentliche Kanäle: für Kundennummer, Adresse oder Vertragsdaten wird in "
                "Direktnachricht, E-Mail oder Telefon gewechselt. Entfällt, wenn keine "
                "sensiblen Daten nötig waren.",
            ),
            "en": (
                "Sensitive data moved to a private channel",
                "Public channels: customer number, address or contract data are asked for in "
                "a direct message, e-mail or call. Not applicable when no sensitive data were "
                "needed.",
            ),
        },
        weight=2,
        target=1.0,
        not_applicable=True,
    ),
    _item(
        H,
        PROCESS,
        {
            "de": (
                "Keine Kundendaten öffentlich preisgegeben",
                "K.-o.-Kriterium: wer Kundendaten öffentlich nennt oder erfragt, setzt den "
                "ganzen Kontakt auf 0.",
            ),
            "en": (
                "No customer data exposed publicly",
                "Knock-out: naming or asking for customer data in public sets the whole "
                "contact to 0.",
            ),
        },
        weight=2,
        target=1.0,
        knockout=KnockoutScope.CONTACT,
    ),
    _item(
        H,
        PROCESS,
        {
            "de": (
                "Zugesagter Rückruf eingehalten",
                "Zum zugesagten Zeitpunkt oder innerhalb eines Werktags. Entfällt, wenn kein "
                "Rückruf zugesagt wurde.",
            ),
            "en": (
                "Promised call-back kept",
                "At the promised time or within one business day. Not applicable when no "
                "call-back was promised.",
            ),
        },
        not_applicable=True,
    ),
    _item(
        H,
        PROCESS,
        {
            "de": (
                "Anliegen dokumentiert, Vorgangsnummer genannt",
                "Ein Ticket- oder Vorgangsnummer wird genannt oder das Anliegen ist beim "
                "nächsten Kontakt bekannt.",
            ),
            "en": (
                "Request documented, ticket number given",
                "A ticket or case number is given, or the request is known at the next contact.",
            ),
        },
        target=0.8,
    ),
    _item(
        H,
        COMPETENCE,
        {
            "de": (
                "Kein unnötiger Kanalwechsel",
                "Das Anliegen wird im Kanal der Anfrage gelöst, statt pauschal auf Hotline oder "
                "Formular zu verweisen.",
            ),
            "en": (
                "No needless channel switch",
                "The request is dealt with in the channel it came in, instead of a blanket "
                "referral to the hotline or a form.",
            ),
        },
    ),
)


def load_standard_scorecard(languages: tuple[str, ...] = ("de", "en")) -> list[Scorecard]:
    """Create the standard scorecards that do not exist yet (found by name, archived or not).

    Returns the standard scorecards of the given languages, found or created. Version 1 stays
    a draft, so that a manager can adapt it before the first wave freezes it.
    """
    scorecards: list[Scorecard] = []
    for language in languages:
        name = STANDARD_NAMES[language]
        scorecard = db.session.scalar(
            select(Scorecard).where(Scorecard.name == name).order_by(Scorecard.id).limit(1)
        )
        if scorecard is None:
            scorecard = Scorecard(name=name, description=DESCRIPTIONS[language])
            version = ScorecardVersion(scorecard=scorecard, number=1)
            db.session.add(scorecard)
            for texts in STANDARD_ITEMS:
                append_item(version, texts[language])
        scorecards.append(scorecard)
    db.session.commit()
    return scorecards
