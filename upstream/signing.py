"""Signed requests: `X-Signature` over `app_id + timestamp + nonce + body`.

- `hmac-sha256` (the default profile): hex HMAC-SHA256 keyed by `app_secret`.
- `hmac-sm3`: the same construction with SM3 (GB/T 32905).
- `sm2-sm3`: an SM2 signature with SM3 digest (GB/T 32918) by our private
  key; the city verifies with our public key.
- `sm2-sm3+sm4`: as `sm2-sm3`, and the JSON body travels SM4-CBC encrypted
  (`{"encrypted": base64(iv + ciphertext)}`) under the agreed `sm4_key`.

The SM algorithms come from `gmssl` (pure Python, maintained).
"""

import base64
import hashlib
import hmac
import json
import secrets
import time

from gmssl import func
from gmssl import sm2
from gmssl import sm3
from gmssl import sm4

SM3_BLOCK = 64


class SignatureError(Exception):
    """A request whose signature or encryption does not check out."""


def canonical_json(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def hmac_sm3(key: bytes, message: bytes) -> str:
    """RFC 2104 HMAC with SM3 as the hash (hex)."""
    if len(key) > SM3_BLOCK:
        key = bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(key)))
    key = key.ljust(SM3_BLOCK, b"\0")
    inner = bytes(k ^ 0x36 for k in key) + message
    inner_digest = bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(inner)))
    outer = bytes(k ^ 0x5C for k in key) + inner_digest
    return sm3.sm3_hash(func.bytes_to_list(outer))


class Signer:
    """Signs (client side) and verifies (simulator side) under one method."""

    def __init__(self, method: str, app_id: str, app_secret: str, sm2_private_key="", sm2_public_key="", sm4_key=""):
        self.method, self.app_id, self.app_secret = method, app_id, app_secret
        self.sm2_private_key, self.sm2_public_key = sm2_private_key, sm2_public_key
        self.sm4_key = bytes.fromhex(sm4_key) if sm4_key else b""

    @classmethod
    def for_profile(cls, profile) -> "Signer":
        return cls(
            profile.signing,
            profile.app_id,
            profile.app_secret,
            profile.sm2_private_key,
            profile.sm2_public_key,
            profile.sm4_key,
        )

    def _message(self, timestamp: str, nonce: str, body: bytes) -> bytes:
        return self.app_id.encode() + timestamp.encode() + nonce.encode() + body

    def signature(self, timestamp: str, nonce: str, body: bytes) -> str:
        message = self._message(timestamp, nonce, body)
        if self.method == "hmac-sha256":
            return hmac.new(self.app_secret.encode(), message, hashlib.sha256).hexdigest()
        if self.method == "hmac-sm3":
            return hmac_sm3(self.app_secret.encode(), message)
        crypt = sm2.CryptSM2(private_key=self.sm2_private_key, public_key=self.sm2_public_key)
        return crypt.sign_with_sm3(message, secrets.token_hex(32))

    def check(self, timestamp: str, nonce: str, body: bytes, signature: str) -> bool:
        if self.method.startswith("sm2"):
            crypt = sm2.CryptSM2(private_key=None, public_key=self.sm2_public_key)
            try:
                return bool(crypt.verify_with_sm3(signature, self._message(timestamp, nonce, body)))
            except (ValueError, TypeError, IndexError):
                return False
        return hmac.compare_digest(self.signature(timestamp, nonce, body), signature.lower())

    def encode_body(self, payload) -> bytes:
        """The bytes to send for `payload` (encrypted when the method says so)."""
        body = canonical_json(payload)
        if not self.method.endswith("+sm4"):
            return body
        iv = secrets.token_bytes(16)
        cipher = sm4.CryptSM4()
        cipher.set_key(self.sm4_key, sm4.SM4_ENCRYPT)
        encrypted = base64.b64encode(iv + cipher.crypt_cbc(iv, body)).decode()
        return canonical_json({"encrypted": encrypted})

    def decode_body(self, body: bytes):
        """The payload inside `body` (the simulator's side of `encode_body`)."""
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise SignatureError("请求体不是 JSON") from None
        if not self.method.endswith("+sm4"):
            return payload
        try:
            raw = base64.b64decode(payload["encrypted"], validate=True)
            cipher = sm4.CryptSM4()
            cipher.set_key(self.sm4_key, sm4.SM4_DECRYPT)
            return json.loads(cipher.crypt_cbc(raw[:16], raw[16:]).decode("utf-8"))
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            raise SignatureError("加密请求体无法解密") from None

    def headers(self, body: bytes) -> dict:
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-App-Id": self.app_id,
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": self.signature(timestamp, nonce, body),
            "X-Sign-Method": self.method,
        }
