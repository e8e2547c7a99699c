"""Ed25519 signatures over checkpoints, so a third party can verify the ledger offline with
nothing but the published public key."""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from ..ledger.canonical import utc_text


def checkpoint_message(sequence: int, hash_hex: str, created_at: datetime) -> bytes:
    """The signed bytes: ``alpr-audit-checkpoint/v1\\n<sequence>\\n<hash>\\n<created_at UTC>``."""
    return f"alpr-audit-checkpoint/v1\n{sequence}\n{hash_hex}\n{utc_text(created_at)}".encode()


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def load_private_key(b64: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(b64, validate=True))
    except ValueError as exc:
        raise ValueError("the checkpoint signing key must be 32 raw bytes, base64-encoded") from exc


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def signature_valid(public_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        public.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True
