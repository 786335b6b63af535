"""On a phone, a customer answers a survey invitation: a missing answer is named and the others
are kept, the fixed form is thanked for, a second submit with the same link is refused; axe finds
nothing on the form, the error state and the thanks page; the keyboard reaches every control."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from qcrm.extensions import db
from surveys.models import Survey
from tests.browser.support import DESKTOP
from tests.surveys.respond_helpers import counts, make_invitation, questions_of

pytestmark = pytest.mark.browser
PHONE_375 = {"width": 375, "height": 740}
#: Set QCRM_RESPOND_SHOTS=/some/folder to keep screenshots of the pages for a look.
SHOTS = os.environ.get("QCRM_RESPOND_SHOTS")

ENGLISH = {
    "title": "Customer satisfaction 2030",
    "introduction": "How satisfied were you with our service? It takes two minutes.",
    "thank_you_text": "Thank you for your answers!",
}
ENGLISH_QUESTIONS = [
    "How satisfied were you with our service overall?",
    "How likely is it that you would recommend us to a friend or colleague?",
    "The company made it easy for me to handle my request.",
    "How friendly was the advice?",
    "How did you contact us?",
    "What did you like?",
    "What could we do better?",
]


#: What the respondent's pages say, in the survey's language (German from the catalogue).
TEXTS = {
    "de": {
        "send": "Antworten senden",
        "check_1": "Bitte prüfen Sie 1 Antwort",
        "check_3": "Bitte prüfen Sie 3 Antworten",
        "question_2": "Frage 2",
        "answer_this": "Bitte beantworten Sie diese Frage.",
        "thanks": "Vielen Dank",
        "answered": "Sie haben an dieser Umfrage bereits teilgenommen",
    },
    "en": {
        "send": "Send answers",
        "check_3": "Please check 3 answers",
        "thanks": "Thank you",
    },
}


def assert_accessible(page: Page) -> None:
    """axe-core's WCAG 2.1 A/AA and best-practice rules find nothing on the page."""
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def assert_no_browser_errors(customer) -> None:
    """Nothing went wrong in the browser, apart from the statuses the pages answer on purpose:
    400 for a form with mistakes, 409 for a second submit."""
    expected = ("status of 400 (BAD REQUEST)", "status of 409 (CONFLICT)")
    customer.errors.messages[:] = [
        message for message in customer.errors.messages if not any(e in message for e in expected)
    ]
    customer.assert_no_errors()


def no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


def _english(app, survey_id: int) -> None:
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        survey.language = "en"
        for name, value in ENGLISH.items():
            setattr(survey, name, value)
        for question, text in zip(survey.questions, ENGLISH_QUESTIONS, strict=True):
            question.text = text
            if question.options:
                question.options = (
                    ["Phone", "E-mail", "Chat"]
                    if question.kind.value == "single_choice"
                    else ["Speed", "Friendliness", "Expertise"]
                )
        db.session.commit()


def test_answering_an_invitation_on_a_phone(open_page, server, world):
    app = server.app
    token = make_invitation(app, world.survey_a.id)
    questions = questions_of(app, world.survey_a.id)
    csat, nps, ces = (f"q{q.id}" for q in questions[:3])
    text = f"q{questions[6].id}"
    de = TEXTS["de"]
    # a browser that asks for English still gets the German survey in German
    customer = open_page(locale="en-US", viewport=PHONE_375)
    page = customer.page
    customer.goto(f"/s/i/{token}")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Kundenzufriedenheit 2030")).to_be_visible()
    no_sideways_scrolling(page)
    assert_accessible(page)

    # the same link open in a second tab, to send it again later
    second_tab = open_page(locale="de-DE", viewport=PHONE_375)
    second_tab.goto(f"/s/i/{token}")

    # keyboard: Tab reaches the first scale, Space and the arrow keys choose a value
    focused: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if focused[-1] == f"{csat}-1":
            break
    assert focused[-1] == f"{csat}-1", focused
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#{csat}-4")).to_be_checked()
    shot(page, "phone-de-0-keyboard-focus")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == nps
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    assert page.evaluate("document.activeElement.textContent").strip() == de["send"]

    # the NPS is missing: the error is listed at the top, the answers given are kept
    page.locator(f"label[for={ces}-6]").click()
    page.locator(f"#{text}").fill("Sehr freundlich, aber <langsam>.")
    shot(page, "phone-de-1-form")
    page.get_by_role("button", name=de["send"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(de["check_1"])
    expect(summary.get_by_role("link", name=de["question_2"])).to_be_visible()
    expect(page.locator(f"#{nps}-error")).to_contain_text(de["answer_this"])
    expect(page.locator(f"#{csat}-4")).to_be_checked()
    expect(page.locator(f"#{ces}-6")).to_be_checked()
    expect(page.locator(f"#{text}")).to_have_value("Sehr freundlich, aber <langsam>.")
    expect(page.locator(f"fieldset#{nps}")).to_have_attribute("aria-describedby", f"{nps}-error")
    no_sideways_scrolling(page)
    assert_accessible(page)
    shot(page, "phone-de-2-error")

    # the link in the summary leads to the question
    summary.get_by_role("link", name=de["question_2"]).click()
    expect(page).to_have_url(f"{server.url}/s/i/{token}#{nps}")
    page.locator(f"label[for={nps}-9]").click()
    page.get_by_role("button", name=de["send"]).click()
    expect(page.get_by_role("heading", name=de["thanks"], exact=True)).to_be_visible()
    expect(page.get_by_text("Vielen Dank für Ihre Antworten!")).to_be_visible()
    assert_accessible(page)
    shot(page, "phone-de-3-thanks")
    assert counts(app)["Response"] == 1

    # the second tab sends the same invitation again: refused, nothing stored
    second = second_tab.page
    second.locator(f"label[for={csat}-2]").click()
    second.locator(f"label[for={nps}-3]").click()
    second.locator(f"label[for={ces}-2]").click()
    second.get_by_role("button", name=de["send"]).click()
    expect(second.get_by_role("heading", name=de["answered"])).to_be_visible()
    assert_accessible(second)
    # and opening the link again says the same
    customer.goto(f"/s/i/{token}")
    expect(page.get_by_role("heading", name=de["answered"])).to_be_visible()
    assert counts(app)["Response"] == 1
    assert_no_browser_errors(customer)
    assert_no_browser_errors(second_tab)


@pytest.mark.parametrize(
    ("language", "size"), [("de", "phone"), ("en", "phone"), ("de", "desktop"), ("en", "desktop")]
)
def test_the_public_form_in_both_languages_and_sizes(open_page, server, world, language, size):
    app = server.app
    survey = world.survey_a if language == "de" else world.survey_b
    if language == "en":
        _english(app, survey.id)
    texts = TEXTS[language]
    viewport = PHONE_375 if size == "phone" else DESKTOP
    customer = open_page(locale="de-DE" if language == "en" else "en-US", viewport=viewport)
    page = customer.page
    customer.goto(f"/s/{survey.public_token}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    no_sideways_scrolling(page)
    assert_accessible(page)
    shot(page, f"{size}-{language}-public-1-form")

    page.get_by_role("button", name=texts["send"]).click()
    expect(page.get_by_role("alert")).to_contain_text(texts["check_3"])
    no_sideways_scrolling(page)
    assert_accessible(page)
    shot(page, f"{size}-{language}-public-2-error")

    questions = questions_of(app, survey.id)
    for question, value in zip(questions[:4], (5, 10, 7, 8), strict=True):
        page.locator(f"label[for=q{question.id}-{value}]").click()
    page.locator(f"label[for=q{questions[5].id}-1]").click()
    page.get_by_role("button", name=texts["send"]).click()
    expect(page.get_by_role("heading", name=texts["thanks"], exact=True)).to_be_visible()
    assert_accessible(page)
    shot(page, f"{size}-{language}-public-3-thanks")
    assert counts(app)["Response"] == 1
    assert_no_browser_errors(customer)
