"""Reading recipients files: encodings, delimiters, columns, limits, line numbers."""

from __future__ import annotations

import pytest

from qcrm.errors import ServiceError
from surveys import recipients_csv
from surveys.recipients_csv import RecipientRow, parse_recipients

GERMAN_EXCEL = "Name;E-Mail;Kanal\r\nJürgen Müller;juergen@example.de;Service mail\r\n"


def _error(data: bytes, encoding: str = "auto") -> str:
    with pytest.raises(ServiceError) as caught:
        parse_recipients(data, encoding)
    return " ".join(m for messages in caught.value.errors.values() for m in messages)


def test_utf8_with_and_without_bom_is_read(app):
    with app.app_context():
        for data in (GERMAN_EXCEL.encode(), GERMAN_EXCEL.encode("utf-8-sig")):
            assert parse_recipients(data) == [
                RecipientRow(position=2, email="juergen@example.de", channel="Service mail")
            ]


def test_windows_1252_with_umlauts_is_detected(app):
    data = (GERMAN_EXCEL + "Änne Groß;anne@example.de;\r\n").encode("cp1252")
    with app.app_context():
        rows = parse_recipients(data)
    assert [(r.position, r.email, r.channel) for r in rows] == [
        (2, "juergen@example.de", "Service mail"),
        (3, "anne@example.de", ""),
    ]


def test_a_manual_encoding_overrides_the_detection(app):
    # "Ã¤" is what UTF-8 "ä" looks like read as Windows-1252: the override is taken literally
    data = "email;channel\r\nx@example.de;Kanäle\r\n".encode()
    with app.app_context():
        assert parse_recipients(data, "cp1252")[0].channel == "KanÃ¤le"
        assert parse_recipients(data, "utf-8")[0].channel == "Kanäle"
        message = _error("email\r\nmü@example.de\r\n".encode("cp1252"), "utf-8")
    assert "not valid UTF-8" in message and "Windows-1252" in message


def test_bytes_that_are_no_text_in_either_encoding_are_refused(app):
    with app.app_context():
        message = _error(b"email\r\n\x81\x8d@example.de\r\n")
    assert "neither UTF-8 nor Windows-1252" in message


@pytest.mark.parametrize(
    "text",
    ["email,channel\nx@example.de,Hotline\n", "email;channel\nx@example.de;Hotline\n"],
)
def test_semicolons_and_commas_both_separate(app, text):
    with app.app_context():
        assert parse_recipients(text.encode()) == [RecipientRow(2, "x@example.de", "Hotline")]


@pytest.mark.parametrize(
    "header", ["email", "E-Mail", "e-mail", "Email", " EMAIL ", "E-Mail-Adresse"]
)
def test_the_address_column_has_several_spellings(app, header):
    with app.app_context():
        assert parse_recipients(f"{header}\nx@example.de\n".encode())[0].email == "x@example.de"


@pytest.mark.parametrize(
    "text",
    ["name;adresse\nA;x@example.de\n", "email;E-Mail\nx@example.de;y@example.de\n"],
)
def test_wrong_columns_are_refused_naming_the_expected_ones(app, text):
    with app.app_context():
        message = _error(text.encode())
    assert "“email”" in message and "“channel”" in message and "Found:" in message


def test_empty_files_and_files_without_rows_are_refused(app):
    with app.app_context():
        assert "empty" in _error(b"")
        assert "no recipients" in _error(b"email\r\n\r\n")


def test_line_numbers_are_those_of_the_spreadsheet(app):
    text = 'email;note\na@example.de;x\n\nb@example.de;"two\nlines"\nc@example.de;\n'
    with app.app_context():
        rows = parse_recipients(text.encode())
    assert [(r.position, r.email) for r in rows] == [
        (2, "a@example.de"),
        (4, "b@example.de"),
        (5, "c@example.de"),
    ]


def test_size_limits_give_a_clear_message(app, monkeypatch):
    monkeypatch.setattr(recipients_csv, "MAX_ROWS", 3)
    monkeypatch.setattr(recipients_csv, "MAX_BYTES", 100)
    with app.app_context():
        assert "more than 3 recipients" in _error(b"email\n" + b"a@example.de\n" * 4)
        assert "larger than" in _error(b"email\n" + b"a" * 100)
