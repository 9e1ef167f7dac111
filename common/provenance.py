"""C2PA provenance: a signed manifest on every output saying it was AI-generated, by which provider and model.

The worker applies it before storage, after the visible watermark (common/generation.py), when the
admin turned it on (settings document `provenance: {c2pa}`) and the signing certificate chain and its
private key are in the secret store (`c2pa-certificate-chain`, `c2pa-private-key`: PEM, write-only in
the admin panel). The manifest holds one `c2pa.actions.v2` assertion with a `c2pa.created` action whose
`digitalSourceType` is IPTC's `trainedAlgorithmicMedia` (C2PA 2.x, "Actions" assertion; IPTC Digital
Source Type vocabulary), its `softwareAgent` the provider and model. Signing uses the `c2pa-python`
bindings (the Content Authenticity Initiative's c2pa-rs) with no timestamp authority, so it never
touches the network; the signature time is then only as trustworthy as the certificate's validity.

C2PA asks of the end-entity certificate: the digitalSignature key usage, an extended key usage such as
emailProtection (1.3.6.1.5.5.7.3.4) or documentSigning, not a CA; the chain is the end-entity
certificate first, then its intermediates (docs/admin.md says how to make one).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# IPTC NewsCodes "Digital Source Type": created by a model trained on sampled content.
AI_GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# What c2pa-rs embeds into among the formats our providers return.
SUPPORTED_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "video/mp4"})
MAX_PEM_CHARS = 20_000  # a chain of a few certificates; the admin API refuses more
CLAIM_GENERATOR = "Sora Studio"


class ProvenanceError(ValueError):
    """The credentials cannot sign (unreadable PEM, unsupported key type) or the media cannot be signed."""


@dataclass(frozen=True)
class SigningCredentials:
    """The PEM certificate chain (end-entity first) and the PEM private key of its end-entity certificate."""

    certificate_chain: str
    private_key: str


def signing_algorithm(private_key_pem: str) -> str:
    """The C2PA algorithm name for a PEM private key: es256/es384/es512 (EC P-256/384/521), ps256 (RSA),
    ed25519. Raises ProvenanceError for anything else or an unreadable key."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ProvenanceError("the private key is not an unencrypted PEM private key") from exc
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
        raise ProvenanceError(f"EC curve {key.curve.name} is not one C2PA signs with (P-256, P-384, P-521)")
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ProvenanceError("the private key must be EC (P-256/384/521), RSA or Ed25519")


def check_certificate_chain(pem: str) -> None:
    """Raises ProvenanceError unless `pem` holds at least one PEM X.509 certificate, the first one not a CA."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise ProvenanceError("the certificate chain is not PEM X.509 certificates (end-entity first)") from exc
    try:
        basic = certs[0].extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return
    if basic.ca:
        raise ProvenanceError("the first certificate must be the signing (end-entity) certificate, not a CA")


def manifest_definition(*, provider: str, model: str, mime_type: str) -> dict[str, Any]:
    """The manifest's JSON definition (c2pa-rs ManifestDefinition): an AI-created claim naming provider and model."""
    return {
        "claim_generator_info": [{"name": CLAIM_GENERATOR}],
        "title": f"AI-generated {mime_type.split('/')[0]}",
        "format": mime_type,
        "assertions": [{
            "label": "c2pa.actions.v2",
            "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": AI_GENERATED,
                "softwareAgent": {"name": f"{provider}/{model}"},
                "parameters": {"provider": provider, "model": model},
            }]},
        }],
    }


def sign_media(data: bytes, mime_type: str, *, credentials: SigningCredentials, provider: str, model: str) -> bytes:
    """`data` with a signed C2PA manifest embedded (same format). Offline: no timestamp authority.

    Raises ProvenanceError for an unsupported type, unusable credentials or a file c2pa cannot parse."""
    if mime_type not in SUPPORTED_TYPES:
        raise ProvenanceError(f"C2PA signing of {mime_type} is not supported")
    import c2pa

    alg = signing_algorithm(credentials.private_key)
    try:
        info = c2pa.C2paSignerInfo(alg=alg, sign_cert=credentials.certificate_chain.encode(),
                                   private_key=credentials.private_key.encode(), ta_url=None)
        with c2pa.Signer.from_info(info) as signer, \
                c2pa.Builder(json.dumps(manifest_definition(provider=provider, model=model, mime_type=mime_type))) as builder:
            out = io.BytesIO()
            builder.sign(signer, mime_type, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"C2PA signing failed: {exc}") from exc
    return out.getvalue()
