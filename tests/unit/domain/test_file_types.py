"""What a file is, by its bytes: the rule that decides what the browser may render inline and
what an agent may send (issue 14, finding 3)."""

from __future__ import annotations

import pytest

from wa_crm.domain.model.file_types import identify, is_raster_image, sendable, shown_inline

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("data", "declared", "proven"),
    [
        (PNG, "image/jpeg", "image/png"),  # the bytes win over the declared type
        (b"\xff\xd8\xff\xe0 JFIF", "", "image/jpeg"),
        (b"GIF89a....", "image/gif", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "image/webp"),
        (b"OggS\x00\x02", "audio/ogg; codecs=opus", "audio/ogg"),  # a WhatsApp voice note
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4", "video/mp4"),
        (b"\x00\x00\x00\x18ftypM4A ", "Audio/MP4", "audio/mp4"),  # the family member declared
        (b"\x00\x00\x00\x18ftyp3gp4", "image/png", "video/mp4"),  # not a member: the usual one
        (b"ID3\x04\x00", "audio/mpeg", "audio/mpeg"),
        (b"\xff\xf1\x50\x80", "audio/aac", "audio/aac"),
        (b"#!AMR\n", "audio/amr", "audio/amr"),
        (b"%PDF-1.7", "image/png", "application/pdf"),
        (
            b"PK\x03\x04 word/document.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (b"PK\x03\x04", "image/png", "application/zip"),
        (SVG, "image/svg+xml", None),
        (b"<!doctype html><script>", "image/jpeg", None),
        (b"plain text", "text/plain", None),
        (b"", "image/png", None),
    ],
)
def test_the_type_is_the_one_the_bytes_prove(
    data: bytes, declared: str, proven: str | None
) -> None:
    assert identify(data, declared) == proven


def test_only_raster_images_audio_and_video_are_shown_inline() -> None:
    assert shown_inline("image/png") and shown_inline("audio/ogg") and shown_inline("video/mp4")
    assert not shown_inline("image/svg+xml")
    assert not shown_inline("application/pdf")
    assert not shown_inline(None)


def test_agents_send_what_is_shown_inline_and_documents_only() -> None:
    assert sendable("application/pdf") and sendable("image/jpeg")
    assert sendable("application/vnd.oasis.opendocument.text")
    assert not sendable("image/svg+xml") and not sendable("text/html") and not sendable(None)
    assert is_raster_image("image/webp") and not is_raster_image("video/mp4")
