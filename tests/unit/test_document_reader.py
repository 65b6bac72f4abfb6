"""``DocumentFileReader`` on real files made here: Markdown and text, a PDF written by hand,
a DOCX written by python-docx; and each refusal with its code."""

from __future__ import annotations

import io
import zipfile

import docx
import pypdf
import pytest

from wa_crm.adapters.documents.reader import MAX_UNPACKED_BYTES, DocumentFileReader
from wa_crm.ports.knowledge import UnreadableDocument

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
reader = DocumentFileReader()


def a_pdf(*pages: str) -> bytes:
    """A valid PDF with one line of Helvetica text per page (none: no text at all)."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * n} 0 R" for n in range(count))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
    ]
    font = 3 + 2 * count
    for n, line in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * n} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    start = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n"
    out.write(trailer.encode())
    return out.getvalue()


def encrypted(pdf: bytes, password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def a_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Entregas", level=1)
    document.add_paragraph("As entregas são feitas às terças.")
    table = document.add_table(rows=2, cols=2)
    for row, (day, hours) in enumerate([("Segunda", "9h às 17h"), ("Sábado", "9h às 12h")]):
        table.cell(row, 0).text = day
        table.cell(row, 1).text = hours
    document.add_heading("Retirada", level=2)
    document.add_paragraph("Na sede da associação.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def refusal(filename: str, content_type: str, content: bytes) -> str:
    with pytest.raises(UnreadableDocument) as refused:
        reader.text_of(filename, content_type, content)
    return refused.value.code


def test_markdown_and_text_are_read_as_utf8_without_a_bom() -> None:
    text = "# Associação\r\n\r\nAtendemos às terças.\n\n\n\nE às quintas."
    read = reader.text_of("faq.md", "text/markdown", ("\ufeff" + text).encode())
    assert read == "# Associação\n\nAtendemos às terças.\n\nE às quintas."
    assert reader.text_of("notas", "text/plain; charset=utf-8", b"  oi  ") == "oi"


def test_a_pdf_gives_the_text_of_its_pages() -> None:
    read = reader.text_of(
        "regras.pdf", "application/octet-stream", a_pdf("Entregas na terca", "Pix")
    )
    assert read.split() == ["Entregas", "na", "terca", "Pix"]


def test_a_pdf_with_an_empty_user_password_is_read() -> None:
    pdf = encrypted(a_pdf("Horario de atendimento"), "")
    assert reader.text_of("h.pdf", "application/pdf", pdf) == "Horario de atendimento"


def test_a_docx_gives_headings_paragraphs_and_tables_in_order() -> None:
    assert reader.text_of("regras.docx", DOCX_TYPE, a_docx()) == (
        "# Entregas\n\nAs entregas são feitas às terças.\n\n"
        "Segunda | 9h às 17h\nSábado | 9h às 12h\n\n## Retirada\n\nNa sede da associação."
    )


@pytest.mark.parametrize(
    ("filename", "content_type", "content", "code"),
    [
        ("foto.png", "image/png", b"\x89PNG\r\n\x1a\n", "unsupported_type"),
        ("planilha.xlsx", "application/octet-stream", b"PK\x03\x04", "unsupported_type"),
        ("sem-nome", "", b"texto", "unsupported_type"),
        ("falso.pdf", "application/pdf", b"\x89PNG\r\n\x1a\n", "unsupported_type"),
        ("falso.docx", DOCX_TYPE, b"%PDF-1.4", "unsupported_type"),
        ("latin1.txt", "text/plain", "associação".encode("latin-1"), "not_utf8"),
        ("utf16.md", "text/markdown", "oi".encode("utf-16-le"), "not_utf8"),
        ("vazio.md", "text/markdown", b" \n\n \n", "no_text"),
        ("escaneado.pdf", "application/pdf", a_pdf(), "no_text"),
        ("protegido.pdf", "application/pdf", encrypted(a_pdf("segredo"), "senha"), "encrypted"),
        (
            "protegido.docx",
            DOCX_TYPE,
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            "encrypted",
        ),
        ("quebrado.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj\n<<", "damaged"),
        ("quebrado.docx", DOCX_TYPE, a_docx()[:200], "damaged"),
    ],
)
def test_what_cannot_be_read_is_refused_with_its_code(
    filename: str, content_type: str, content: bytes, code: str
) -> None:
    assert refusal(filename, content_type, content) == code


def test_a_pdf_is_read_only_until_its_text_is_too_long_to_store() -> None:
    short_reader = DocumentFileReader(max_chars=30)
    pdf = a_pdf("Entregas na terca feira", "Pix e boleto", "Reunioes mensais")

    read = short_reader.text_of("longo.pdf", "application/pdf", pdf)

    assert read.split() == ["Entregas", "na", "terca", "feira", "Pix", "e", "boleto"]


def test_a_docx_that_unpacks_to_far_more_than_its_text_is_refused_unparsed() -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "a", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(a_docx())) as real:
            for part in real.infolist():
                archive.writestr(part, real.read(part))
        archive.writestr("word/padding.xml", b" " * (MAX_UNPACKED_BYTES + 1))

    assert len(packed.getvalue()) < 1024 * 1024
    assert refusal("bomba.docx", DOCX_TYPE, packed.getvalue()) == "too_large"
