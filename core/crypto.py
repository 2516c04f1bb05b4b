"""Personal-data crypto (PIPL): the keys, AES-256-GCM values and keyed lookup hashes.

Names, phone numbers and ID numbers are stored encrypted with AES-256-GCM
(the `cryptography` library) as "<key id>:<base64 nonce|ciphertext|tag>",
bound to their table and column (associated data), so a value copied into
another column does not decrypt. The first configured key encrypts, every
listed key decrypts: keys rotate by putting a new one first and running
`flask pii rotate` (ops/pii_cli.py), which re-encrypts every value.

A randomised ciphertext cannot be compared, so a value looked up by equality
has a keyed lookup hash (HMAC-SHA256 under a separate lookup key); the
encrypted columns and their hash columns are in `models/pii.py`.

The keys come from `[pii]` (env HCP_PII_KEYS, HCP_PII_LOOKUP_KEY); without
them (local runs, tests) a key pair is generated once into the instance
folder, like the local secret key.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.codes import normalize_phone
from core.config import decode_pii_secret
from core.config import parse_pii_key

NONCE_BYTES = 12
LOCAL_KEY_ID = "local"
_KEY_ID = re.compile(r"^[A-Za-z0-9_\-]{1,16}$")


class PiiKeyError(Exception):
    """A stored value no configured key opens: a key dropped too early, or altered data."""


@dataclass(frozen=True)
class Keyring:
    """The encryption keys by id (`current` encrypts) and the lookup-hash key."""

    ciphers: dict
    current: str
    lookup_key: bytes

    @classmethod
    def from_secrets(cls, keys: list[tuple[str, bytes]], lookup_key: bytes) -> "Keyring":
        return cls({kid: AESGCM(raw) for kid, raw in keys}, keys[0][0], lookup_key)

    def encrypt(self, value: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.current].encrypt(nonce, value.encode(), context.encode())
        return f"{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def decrypt(self, token: str, context: str) -> str:
        kid = key_id(token)
        if kid is None:
            raise PiiKeyError(f"{context}: a stored value is not encrypted (was migration 0008 applied?)")
        cipher = self.ciphers.get(kid)
        if cipher is None:
            raise PiiKeyError(f"{context}: a value is encrypted with key {kid!r}, which pii.keys does not list")
        body = token[len(kid) + 1 :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            # Never the value itself in the message: it may be a clear phone number.
            raise PiiKeyError(f"{context}: a stored value does not decrypt with key {kid!r}") from None

    def digest(self, kind: str, value: str) -> str:
        return hmac.new(self.lookup_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def key_id(token: str) -> str | None:
    """The key id a stored value names, or None when it is no ciphertext."""
    kid, sep, body = token.partition(":")
    return kid if sep and body and _KEY_ID.match(kid) else None


_lock = threading.Lock()
_keyring: Keyring | None = None


def configure(pii_settings, instance_path: str) -> Keyring:
    """Bind the keys of `[pii]` (or the local ones) for this process; create_app calls it."""
    global _keyring
    if pii_settings["keys"]:  # item access: `.keys` is the mapping's method
        keys = [parse_pii_key(entry) for entry in pii_settings["keys"]]
        lookup = decode_pii_secret(pii_settings["lookup_key"])
    else:
        keys = [(LOCAL_KEY_ID, _local_secret(instance_path, "pii_key"))]
        lookup = _local_secret(instance_path, "pii_lookup_key")
    with _lock:
        _keyring = Keyring.from_secrets(keys, lookup)
    return _keyring


def keyring() -> Keyring:
    """The bound keys; outside an app (a bare script) resolved as create_app would."""
    if _keyring is None:
        from core import config

        configure(config.load().pii, os.path.abspath("instance"))
    return _keyring


def _local_secret(instance_path: str, name: str) -> bytes:
    """A random 32-byte secret kept in the instance folder; created once, atomically."""
    path = os.path.join(instance_path, name)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        temp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        try:
            os.link(temp, path)  # fails if another process won the race: theirs stands
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    with open(path) as fh:
        raw = decode_pii_secret(fh.read().strip())
    if raw is None:
        raise PiiKeyError(f"{path}: not a base64 key of 32 bytes")
    return raw


def new_key() -> str:
    """A fresh random key, base64 (for `pii.keys` after "<id>:", or `pii.lookup_key`)."""
    return base64.b64encode(os.urandom(32)).decode()


def encrypt(value: str | None, context: str) -> str | None:
    return None if value is None else keyring().encrypt(value, context)


def decrypt(token: str | None, context: str) -> str | None:
    return None if token is None else keyring().decrypt(token, context)


def phone_hash(phone: str | None) -> str | None:
    """The lookup hash of a phone number in any mainland format (+86, spaces…),
    the same for the same number: compare it with a `*_phone_hash` column."""
    if not phone:
        return None
    return keyring().digest("phone", normalize_phone(phone) or phone.strip())


HASHERS = {"phone": phone_hash}
