"""Evidence files (screenshots, images, PDFs, audio) attached to an inquiry's contact log.

Files live outside the web root in EVIDENCE_FOLDER (default: ``<instance>/evidence``) under a
random name without extension; nothing the client sends (name, path, Content-Type) ever touches
the file system. The type is decided by the file's first bytes, and the name's extension must
fit it. An upload is streamed in chunks into a temporary file in the same folder while it is
hashed and counted, and renamed into place only after every check has passed.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from pathlib import Path, PurePosixPath

from flask import Response, abort, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from audits.mystery.contact_logs import _check_editable, _trail, contact_log
from audits.mystery.models import Evidence, Inquiry
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 20
CHUNK_SIZE = 64 * 1024
#: How many leading bytes the type detection looks at.
HEADER_SIZE = 16
MAX_NAME_LENGTH = 255

#: Accepted types and the name extensions that fit them (the first one is the preferred).
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "audio/mpeg": (".mp3",),
    "audio/wav": (".wav",),
    "audio/mp4": (".m4a",),
    "audio/ogg": (".ogg", ".oga", ".opus"),
}
ALLOWED_EXTENSIONS = frozenset(ext for exts in ALLOWED_TYPES.values() for ext in exts)

#: Leading bytes of programs and scripts: refused with their own message.
EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux, BSD
    b"\xfe\xed\xfa\xce",  # Mach-O 32 bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64 bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32 bit, little endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64 bit, little endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary, Java class
    b"#!",  # scripts
)
MP3_FRAME_SYNC = (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa")
M4A_BRANDS = (b"M4A ", b"isom", b"mp42")
STORED_NAME = re.compile(r"[0-9a-f]{32}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def detect_type(header: bytes) -> str | None:
    """The MIME type the file's first bytes announce, if it is one of ALLOWED_TYPES."""
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if header.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if header.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if header.startswith(b"RIFF") and header[8:12] == b"WEBP":
        return "image/webp"
    if header.startswith(b"RIFF") and header[8:12] == b"WAVE":
        return "audio/wav"
    if header.startswith(b"%PDF-"):
        return "application/pdf"
    if header.startswith(b"ID3") or header.startswith(MP3_FRAME_SYNC):
        return "audio/mpeg"
    if header[4:8] == b"ftyp" and header[8:12] in M4A_BRANDS:
        return "audio/mp4"
    if header.startswith(b"OggS"):
        return "audio/ogg"
    return None


def evidence_folder() -> Path:
    """EVIDENCE_FOLDER, or ``<instance>/evidence``; created (mode 0o700) when missing."""
    folder = Path(
        current_app.config.get("EVIDENCE_FOLDER") or Path(current_app.instance_path) / "evidence"
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def evidence_path(evidence: Evidence) -> Path:
    """Where the evidence's content lies; the stored name is checked, never trusted."""
    if not STORED_NAME.fullmatch(evidence.stored_name or ""):
        raise ValueError(f"Evidence {evidence.id} has an invalid stored name.")
    return evidence_folder() / evidence.stored_name


def clean_original_name(filename: str | None) -> str:
    """The client's file name without directories or control characters, at most 255 chars.

    Only kept for display and the audit trail; it never reaches the file system.
    """
    name = CONTROL_CHARACTERS.sub("", filename or "").replace("\\", "/")
    name = name.rsplit("/", 1)[-1].strip()
    if len(name) > MAX_NAME_LENGTH:
        suffix = PurePosixPath(name).suffix
        if len(suffix) > 16:
            suffix = ""
        name = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if suffix != name.lower() else ""


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    if limit >= 1024:
        return f"{limit / 1024:g} KB"
    return f"{limit} B"


def _refuse(message: str) -> ServiceError:
    return ServiceError.on("file", message)


def _check_name(name: str) -> None:
    if not name:
        raise _refuse(_("Please choose a file."))
    extension = _extension(name)
    if not extension:
        raise _refuse(
            _(
                "“%(name)s” has no file name extension; name it after its type, e.g. .png or .pdf.",
                name=name,
            )
        )
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            _(
                "“%(name)s” is not accepted: only images (PNG, JPEG, GIF, WebP), PDF and audio "
                "(MP3, WAV, M4A, Ogg) can be attached.",
                name=name,
            )
        )


def _check_content(name: str, header: bytes) -> str:
    """The detected type; refuses programs, unknown content and names that do not fit."""
    if header.startswith(EXECUTABLE_SIGNATURES):
        raise _refuse(_("“%(name)s” is a program, not an image, PDF or audio file.", name=name))
    detected = detect_type(header)
    if detected is None:
        raise _refuse(
            _(
                "“%(name)s” is not an image, PDF or audio file of an accepted type, whatever "
                "its name says.",
                name=name,
            )
        )
    extensions = ALLOWED_TYPES[detected]
    if _extension(name) not in extensions:
        raise _refuse(
            _(
                "The content of “%(name)s” does not fit its name: it is %(type)s, so the name "
                "must end in %(extensions)s.",
                name=name,
                type=detected,
                extensions=" / ".join(extensions),
            )
        )
    return detected


def _receive(upload: FileStorage, name: str, folder: Path) -> tuple[Path, str, int, str]:
    """Stream the upload into a temporary file: (temp path, type, size, sha256).

    The caller owns the temporary file; it is removed here only when this function fails.
    """
    limit = int(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    temp = Path(temp_name)
    try:
        digest, size, header = hashlib.sha256(), 0, b""
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise _refuse(
                        _(
                            "“%(name)s” is larger than %(limit)s.",
                            name=name,
                            limit=_size_text(limit),
                        )
                    )
                if len(header) < HEADER_SIZE:
                    header += chunk[: HEADER_SIZE - len(header)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise _refuse(_("“%(name)s” is empty.", name=name))
        content_type = _check_content(name, header)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, content_type, size, digest.hexdigest()


def save_evidence(inquiry: Inquiry, user: User, upload: FileStorage) -> Evidence:
    """Attach an uploaded file to the inquiry's contact log (only while the log is editable)."""
    _check_editable(contact_log(inquiry))
    max_files = int(current_app.config.get("EVIDENCE_MAX_FILES", DEFAULT_MAX_FILES))
    count = db.session.scalar(
        select(func.count(Evidence.id)).where(Evidence.inquiry_id == inquiry.id)
    )
    if count >= max_files:
        raise _refuse(_("A contact can have at most %(count)d evidence files.", count=max_files))
    name = clean_original_name(upload.filename if upload else None)
    _check_name(name)
    folder = evidence_folder()
    temp, content_type, size, sha256 = _receive(upload, name, folder)
    final: Path | None = None
    try:
        stored_name = secrets.token_hex(16)
        while (folder / stored_name).exists():  # practically never
            stored_name = secrets.token_hex(16)
        final = folder / stored_name
        os.replace(temp, final)
        evidence = Evidence(
            inquiry_id=inquiry.id,
            original_name=name,
            stored_name=stored_name,
            content_type=content_type,
            size=size,
            sha256=sha256,
            uploaded_by_id=user.id,
        )
        db.session.add(evidence)
        _trail(inquiry, user, "evidence", "file", None, name)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        temp.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise
    return evidence


def delete_evidence(inquiry: Inquiry, user: User, evidence: Evidence) -> None:
    """Remove an evidence file while the contact log is editable; the trail keeps its name."""
    if evidence.inquiry_id != inquiry.id:
        raise _refuse(_("This file does not belong to this contact."))
    _check_editable(contact_log(inquiry))
    path = evidence_path(evidence)
    _trail(inquiry, user, "evidence", "file", evidence.original_name, None)
    db.session.delete(evidence)
    db.session.commit()
    path.unlink(missing_ok=True)


def download_name(evidence: Evidence) -> str:
    """A safe name for the download: the original one sanitised, else "evidence" + extension."""
    safe = secure_filename(evidence.original_name or "")
    if not safe or not _extension(safe):
        extensions = ALLOWED_TYPES.get(evidence.content_type, ("",))
        safe = "evidence" + extensions[0]
    return safe


def send_evidence(evidence: Evidence) -> Response:
    """The file as a download that browsers neither sniff, render, run nor cache."""
    path = evidence_path(evidence)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=download_name(evidence),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
