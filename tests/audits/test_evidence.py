"""Evidence files: type by content, limits, nothing half-saved, safe downloads."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from audits.mystery import evidence as service
from audits.mystery.contact_logs import contact_log
from audits.mystery.models import AuditTrailEntry, ContactLog, Evidence, Inquiry, ReviewStatus
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


#: A valid 1×1 grey PNG.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    + _png_chunk(b"IEND", b"")
)
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def upload(data: bytes, filename: str, content_type: str = "image/png") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


@pytest.fixture
def folder(app: Flask, tmp_path: Path) -> Path:
    path = tmp_path / "evidence-store"
    app.config["EVIDENCE_FOLDER"] = str(path)
    return path


@pytest.fixture
def ctx(app: Flask, world, folder):
    """Inside an app context: the tester's inquiry and the tester, attached to the session."""
    with app.app_context():
        yield db.session.get(Inquiry, world.inquiry_a.id), db.session.get(User, world.tester.id)


def refused(inquiry, user, file: FileStorage) -> str:
    with pytest.raises(ServiceError) as caught:
        service.save_evidence(inquiry, user, file)
    assert list(caught.value.errors) == ["file"]
    return caught.value.errors["file"][0]


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (PNG, "screenshot.png", "image/png"),
        (PDF, "Mail.PDF", "application/pdf"),
        (MP3, "call.mp3", "audio/mpeg"),
    ],
)
def test_accepted_files_are_stored_under_a_random_name(ctx, folder, data, name, content_type):
    inquiry, user = ctx
    evidence = service.save_evidence(inquiry, user, upload(data, name, "application/x-anything"))

    assert evidence.id is not None
    assert evidence.original_name == name
    assert evidence.content_type == content_type  # by content, not by the client's header
    assert evidence.size == len(data)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.uploaded_by_id == user.id
    assert re.fullmatch(r"[0-9a-f]{32}", evidence.stored_name)
    path = service.evidence_path(evidence)
    assert path.parent == folder
    assert path.read_bytes() == data
    assert [p.name for p in stored_files(folder)] == [evidence.stored_name]
    entry = db.session.scalars(
        select(AuditTrailEntry).where(AuditTrailEntry.inquiry_id == inquiry.id)
    ).one()
    assert (entry.subject, entry.field, entry.old_value, entry.new_value, entry.user_id) == (
        "evidence",
        "file",
        None,
        name,
        user.id,
    )


def test_stored_names_differ_and_user_paths_never_reach_the_disk(ctx, folder):
    inquiry, user = ctx
    first = service.save_evidence(inquiry, user, upload(PNG, "../../etc/shot.png"))
    second = service.save_evidence(inquiry, user, upload(PNG, "C:\\Users\\jana\\shot.png"))
    assert first.original_name == second.original_name == "shot.png"
    assert first.stored_name != second.stored_name
    assert {p.name for p in stored_files(folder)} == {first.stored_name, second.stored_name}
    long = service.save_evidence(inquiry, user, upload(PNG, "x" * 400 + ".png"))
    assert len(long.original_name) == 255
    assert long.original_name.endswith(".png")


def test_default_folder_lies_in_the_instance_folder_and_is_private(app, world):
    app.config.pop("EVIDENCE_FOLDER", None)
    with app.app_context():
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        user = db.session.get(User, world.tester.id)
        evidence = service.save_evidence(inquiry, user, upload(PNG, "a.png"))
        path = service.evidence_path(evidence)
    assert path.parent == Path(app.instance_path) / "evidence"
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.read_bytes() == PNG


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (EXE, "holiday.png", "is a program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 32, "holiday.png", "is a program"),
        (PNG, "report.pdf", "does not fit its name"),
        (PNG, "screenshot", "has no file name extension"),
        (PNG, "screenshot.exe", "is not accepted"),
        (b"just some text, not an image", "notes.png", "not an image, PDF or audio file"),
        (b"", "empty.png", "is empty"),
    ],
)
def test_refused_files_leave_nothing_behind(ctx, folder, data, name, expected):
    inquiry, user = ctx
    message = refused(inquiry, user, upload(data, name))
    assert expected in message
    assert f"“{name}”" in message
    assert stored_files(folder) == []
    assert (
        db.session.scalars(select(Evidence).where(Evidence.original_name != "screenshot.png")).all()
        == []
    )
    assert db.session.scalars(select(AuditTrailEntry)).all() == []


def test_too_big_file_is_refused_while_streaming(app, ctx, folder):
    inquiry, user = ctx
    app.config["EVIDENCE_MAX_BYTES"] = 1000
    stream = io.BytesIO(PNG + b"\x00" * (service.CHUNK_SIZE * 3))
    message = refused(inquiry, user, FileStorage(stream=stream, filename="big.png"))
    assert "“big.png” is larger than 1000 B" in message
    assert stream.tell() <= service.CHUNK_SIZE  # stopped after the first chunk
    assert stored_files(folder) == []

    exact = PNG + b"\x00" * (1000 - len(PNG))
    assert service.save_evidence(inquiry, user, upload(exact, "exact.png")).size == 1000


def test_at_most_twenty_files_per_inquiry(ctx, folder):
    inquiry, user = ctx
    for number in range(19):  # the world already attached one screenshot to this inquiry
        service.save_evidence(inquiry, user, upload(PNG, f"shot-{number}.png"))
    assert "at most 20 evidence files" in refused(inquiry, user, upload(PNG, "one-more.png"))
    assert len(stored_files(folder)) == 19


def test_no_uploads_or_deletions_after_submission(ctx, folder):
    inquiry, user = ctx
    evidence = service.save_evidence(inquiry, user, upload(PNG, "before.png"))
    db.session.get(ContactLog, contact_log(inquiry).id).status = ReviewStatus.SUBMITTED
    db.session.commit()

    with pytest.raises(ServiceError) as caught:
        service.save_evidence(inquiry, user, upload(PNG, "after.png"))
    assert "status" in caught.value.errors
    with pytest.raises(ServiceError):
        service.delete_evidence(inquiry, user, evidence)
    assert [p.name for p in stored_files(folder)] == [evidence.stored_name]


def test_delete_removes_row_and_file_and_leaves_a_trail(ctx, folder, world):
    inquiry, user = ctx
    evidence = service.save_evidence(inquiry, user, upload(PDF, "mail.pdf"))
    path = service.evidence_path(evidence)

    other = db.session.get(Inquiry, world.inquiry_other.id)
    with pytest.raises(ServiceError):
        service.delete_evidence(other, user, evidence)

    service.delete_evidence(inquiry, user, evidence)
    assert not path.exists()
    assert (
        db.session.scalars(select(Evidence).where(Evidence.original_name != "screenshot.png")).all()
        == []
    )
    last = db.session.scalars(select(AuditTrailEntry).order_by(AuditTrailEntry.id.desc())).first()
    assert (last.subject, last.field, last.old_value, last.new_value) == (
        "evidence",
        "file",
        "mail.pdf",
        None,
    )


def test_send_evidence_is_a_sandboxed_uncached_download(app, ctx, folder):
    inquiry, user = ctx
    evidence = service.save_evidence(inquiry, user, upload(PNG, "Bildschirm foto ä.png"))
    with app.test_request_context():
        response = service.send_evidence(evidence)
        try:
            response.direct_passthrough = False
            assert response.get_data() == PNG
        finally:
            response.close()
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename=Bildschirm_foto_a.png" in disposition


def test_download_name_falls_back_to_evidence(ctx):
    evidence = Evidence(original_name="日本.png", content_type="image/png", stored_name="x")
    assert service.download_name(evidence) == "evidence.png"
    evidence = Evidence(original_name="../../", content_type="application/pdf", stored_name="x")
    assert service.download_name(evidence) == "evidence.pdf"


def test_evidence_path_refuses_a_tampered_stored_name(ctx):
    with pytest.raises(ValueError):
        service.evidence_path(Evidence(id=1, stored_name="../../etc/passwd"))


def test_detect_type_by_magic_bytes():
    assert service.detect_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert service.detect_type(b"GIF89a") == "image/gif"
    assert service.detect_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert service.detect_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "audio/wav"
    assert service.detect_type(b"\x00\x00\x00\x20ftypM4A \x00\x00") == "audio/mp4"
    assert service.detect_type(b"\x00\x00\x00\x20ftypisom\x00\x00") == "audio/mp4"
    assert service.detect_type(b"\xff\xfb\x90\x64") == "audio/mpeg"
    assert service.detect_type(b"OggS\x00\x02") == "audio/ogg"
    assert service.detect_type(b"MZ\x90\x00") is None
    assert service.detect_type(b"\x00\x00\x00\x20ftypqt  ") is None
