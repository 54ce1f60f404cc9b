"""An independent Web Push client for the tests (http_ece + cryptography, nothing of ours).

  push_check.py keygen
      prints {"private": d, "p256dh": public point, "auth": secret}, all base64url
  push_check.py check PRIVATE AUTH BODY_FILE AUTHORIZATION
      decrypts the aes128gcm body (RFC 8291) and verifies the VAPID JWT (RFC 8292, ES256) against
      the key in `k=`; prints {"payload": ..., "claims": ..., "k": ...} or exits non-zero.
"""
import base64
import json
import os
import sys

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def keygen():
    key = ec.generate_private_key(ec.SECP256R1())
    d = key.private_numbers().private_value.to_bytes(32, "big")
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    print(json.dumps({"private": b64e(d), "p256dh": b64e(point), "auth": b64e(os.urandom(16))}))


def check(private, auth, body_file, authorization):
    key = ec.derive_private_key(int.from_bytes(b64d(private), "big"), ec.SECP256R1())
    with open(body_file, "rb") as f:
        body = f.read()
    payload = http_ece.decrypt(body, private_key=key, auth_secret=b64d(auth), version="aes128gcm")
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    token, k = fields["t"], fields["k"]
    head, claims, sig = token.split(".")
    assert json.loads(b64d(head)) == {"typ": "JWT", "alg": "ES256"}, head
    raw = b64d(sig)
    assert len(raw) == 64, len(raw)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    print(json.dumps({"payload": payload.decode(), "claims": json.loads(b64d(claims)), "k": k}))


if __name__ == "__main__":
    if sys.argv[1] == "keygen":
        keygen()
    else:
        check(*sys.argv[2:6])
