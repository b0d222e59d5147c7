"""Makes a compact JWE (RFC 7516) with the `cryptography` package, independently of the Rust
code under test.

Usage: make_jwe.py ALG ENC KEY_HEX PLAINTEXT [KID] [EXTRA_HEADER_JSON]
  KEY_HEX is the symmetric key for dir and AxxxKW, or a PKCS#8 DER RSA private key (whose
  public half encrypts) for RSA-OAEP and RSA-OAEP-256. Prints the token.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

CONTENT_KEY_BYTES = {
    "A128CBC-HS256": 32, "A192CBC-HS384": 48, "A256CBC-HS512": 64,
    "A128GCM": 16, "A192GCM": 24, "A256GCM": 32,
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def wrap_key(alg, key, cek):
    if alg == "dir":
        return b""
    if alg in ("A128KW", "A192KW", "A256KW"):
        return aes_key_wrap(key, cek)
    public = serialization.load_der_private_key(key, password=None).public_key()
    digest = hashes.SHA1() if alg == "RSA-OAEP" else hashes.SHA256()
    oaep = asym_padding.OAEP(mgf=asym_padding.MGF1(digest), algorithm=digest, label=None)
    return public.encrypt(cek, oaep)


def encrypt(enc, cek, aad, plaintext):
    if enc.endswith("GCM"):
        iv = os.urandom(12)
        sealed = AESGCM(cek).encrypt(iv, plaintext, aad)
        return iv, sealed[:-16], sealed[-16:]
    half = len(cek) // 2
    mac_key, enc_key = cek[:half], cek[half:]
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    digest = {16: hashlib.sha256, 24: hashlib.sha384, 32: hashlib.sha512}[half]
    al = struct.pack(">Q", len(aad) * 8)
    tag = hmac.new(mac_key, aad + iv + ciphertext + al, digest).digest()[:half]
    return iv, ciphertext, tag


def main():
    alg, enc, key_hex, plaintext = sys.argv[1:5]
    kid = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
    key = bytes.fromhex(key_hex)
    cek = key if alg == "dir" else os.urandom(CONTENT_KEY_BYTES[enc])
    header = {"alg": alg, "enc": enc, **extra}
    if kid:
        header["kid"] = kid
    encoded_header = b64url(json.dumps(header).encode())
    iv, ciphertext, tag = encrypt(enc, cek, encoded_header.encode(), plaintext.encode())
    parts = [encoded_header, b64url(wrap_key(alg, key, cek)), b64url(iv), b64url(ciphertext), b64url(tag)]
    print(".".join(parts))


if __name__ == "__main__":
    main()
