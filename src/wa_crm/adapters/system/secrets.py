"""Encryption of stored secrets with a key derived from ``WA_CRM_SECRET_KEY``."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class UnreadableSecret(Exception):
    """A stored secret cannot be decrypted: WA_CRM_SECRET_KEY changed since it was written."""


class FernetSecretCipher:
    def __init__(self, secret_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"wa_crm stored secrets"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise UnreadableSecret(
                "a stored secret cannot be decrypted; was WA_CRM_SECRET_KEY changed?"
            ) from error
