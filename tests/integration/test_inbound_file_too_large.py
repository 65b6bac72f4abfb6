"""A patient sends a 17 MB document to a conversation the assistant answers, through the WAHA
simulator, to the whole service on a real port: the file is refused while downloading (WAHA
declares its length), the message is marked ``too_large`` with the file's size, and the
assistant tells the patient, with the file's name, its size and the 16 MB limit, in pt-BR."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.e2e.harness import SESSION, running_service

from wa_crm.domain.model.media_refusal import MediaProblem, problem_of

PATIENT = "5511955554444@c.us"
SEVENTEEN_MB = b"%PDF-1.7\n" + b"0" * (17 * 1024 * 1024 - 9)


async def test_a_17_mb_document_is_refused_and_the_patient_told(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_service(sqlite_url, tmp_path / "media", quick_sends=True) as service:
        document = {
            "mimetype": "application/pdf",
            "filename": "relatorio.pdf",
            "data": base64.b64encode(SEVENTEEN_MB).decode(),
        }
        response = await service.http.post(
            f"{service.simulator_url}/_sim/{SESSION}/inbound",
            json={"from": PATIENT, "media": document},
            timeout=60,
        )
        response.raise_for_status()

        texts = await service.wait_for_texts(lambda said: len(said) >= 1, PATIENT)
        assert texts == [
            "Não consegui abrir o arquivo relatorio.pdf (17 MB): ele é maior que o limite de "
            "16 MB. Pode enviar um arquivo menor ou uma foto?"
        ]
        conversation = await service.conversation_of(PATIENT)
        async with service.container.uow_factory()() as uow:
            messages = await uow.messages.list_for_conversation(
                service.association.id, conversation.id, before=None, limit=10
            )
        (document_message,) = [m for m in messages if m.media is not None]
        media = document_message.media
        assert media is not None
        assert problem_of(media.error) is MediaProblem.TOO_LARGE
        assert (media.size, media.filename, media.stored) == (
            len(SEVENTEEN_MB),
            "relatorio.pdf",
            False,
        )
        snapshot = document_message.snapshot()["media"]
        assert (snapshot["error_code"], snapshot["size"]) == ("too_large", len(SEVENTEEN_MB))
        assert conversation.status == "bot", "the assistant goes on: a smaller file may come"
