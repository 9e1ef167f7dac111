"""A fake of Google's ID-token signing certificates endpoint (oauth2/v1/certs), with a test key.

`FakeGoogleIdentity.sign(claims)` makes an RS256 ID token exactly as Google
does (header `kid` naming one of the served certificates), so the server's
real verification path (google-auth's `verify_token` against a certs URL)
runs unchanged in tests.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test.googleapis.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


class FakeGoogleIdentity:
    KID = "test-kid-1"

    def __init__(self) -> None:
        self.key, self.cert_pem = _key_and_cert()
        self.other_key, _ = _key_and_cert()  # signs forgeries: same kid, key Google never published
        certs = json.dumps({self.KID: self.cert_pem}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(certs)))
                self.end_headers()
                self.wfile.write(certs)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.certs_url = f"http://127.0.0.1:{self._server.server_address[1]}/oauth2/v1/certs"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> FakeGoogleIdentity:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sign(self, *, audience: str, email: str, email_verified: bool = True, forged: bool = False,
             issuer: str = "https://accounts.google.com", expires_in_s: int = 3600, **extra: Any) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "sub": f"g-{email}", "email": email, "email_verified": email_verified,
                  "iat": now, "exp": now + expires_in_s, **extra}
        key = self.other_key if forged else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.KID})
