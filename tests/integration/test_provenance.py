"""C2PA provenance (issue 12): with a signing certificate configured, every new image and video carries a signed
manifest saying it was AI-generated, by which provider and model; read back with c2pa's own Reader."""

from __future__ import annotations

import io
import json
from typing import Any

import c2pa
import pytest
from PIL import Image

from common.provenance import AI_GENERATED, ProvenanceError, SigningCredentials, sign_media
from tests.conftest import Stack
from tests.fakes.c2pa_certs import SIGNER_NAME, make_chain
from tests.integration.test_admin import admin_token


def manifest(data: bytes, mime_type: str) -> dict[str, Any]:
    """The active manifest of `data` as c2pa's Reader reports it (raises C2paError when there is none)."""
    with c2pa.Reader(mime_type, io.BytesIO(data)) as reader:
        store = json.loads(reader.json())
    active = store["manifests"][store["active_manifest"]]
    successes = {s["code"] for s in store["validation_results"]["activeManifest"]["success"]}
    assert {"claimSignature.validated", "assertion.dataHash.match"} <= successes or \
        "assertion.bmffHash.match" in successes, store  # signed over these very bytes
    return dict(active)


def created_action(active: dict[str, Any]) -> dict[str, Any]:
    (actions,) = [a["data"]["actions"] for a in active["assertions"] if a["label"].startswith("c2pa.actions")]
    (action,) = actions
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"] == AI_GENERATED
    return dict(action)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 90)).save(buf, "PNG")
    return buf.getvalue()


def test_sign_media_embeds_an_ai_generated_manifest_offline() -> None:
    chain, key, _ = make_chain()
    signed = sign_media(png(), "image/png", credentials=SigningCredentials(chain, key), provider="gemini",
                        model="gemini-2.5-flash-image")
    active = manifest(signed, "image/png")
    assert created_action(active)["parameters"] == {"provider": "gemini", "model": "gemini-2.5-flash-image"}
    assert active["signature_info"]["common_name"] == SIGNER_NAME
    assert Image.open(io.BytesIO(signed)).size == (32, 24)  # still the same picture
    with pytest.raises(ProvenanceError):
        sign_media(b"GIF89a", "image/gif", credentials=SigningCredentials(chain, key), provider="sim", model="sim")
    with pytest.raises(ProvenanceError):
        sign_media(png(), "image/png", credentials=SigningCredentials(chain, "not a key"), provider="sim", model="sim")


def finished(stack: Stack, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = stack.api("POST", path, token=token, json=body)
    assert r.status_code == 202, r.text
    done = stack.wait_task(token, r.json()["id"], timeout_s=60)
    assert done["status"] == "COMPLETED", done
    return dict(done)


def fetch(stack: Stack, task: dict[str, Any]) -> bytes:
    r = stack.http.get(stack.url + task["result"]["url"], timeout=30)
    assert r.status_code == 200
    return bytes(r.content)


def test_admin_configured_certificate_signs_every_new_image_and_video(stack: Stack, caplog: Any) -> None:
    admin, token = admin_token(stack), stack.register()
    chain, key, ca = make_chain()
    # On without a certificate: outputs are stored unsigned (no error), and the worker says why once.
    r = stack.api("PUT", "/api/admin/settings", token=admin, json={"provenance": {"c2pa": True}})
    assert r.status_code == 200 and r.json()["provenance"] == {"c2pa": True}
    with caplog.at_level("WARNING"):
        plain = fetch(stack, finished(stack, token, "/api/ai/image", {"prompt": "unsigned"}))
    with pytest.raises(c2pa.C2paError):
        manifest(plain, "image/png")
    assert sum("C2PA provenance is on but" in m for m in caplog.messages) == 1

    # Bad input: not PEM, a CA first, an unknown field type; nothing stored.
    for bad in ({"c2pa_certificate_chain": "hello world, not a pem"}, {"c2pa_private_key": chain},
                {"c2pa_certificate_chain": ca}):
        r = stack.api("PUT", "/api/admin/settings", token=admin, json={"api_keys": bad})
        assert r.status_code == 400 and r.json()["error"]["details"]["field"].startswith("api_keys.c2pa_"), r.text
    assert stack.api("PUT", "/api/admin/settings", token=admin, json={"provenance": {"c2pa": "yes"}}).status_code == 400

    r = stack.api("PUT", "/api/admin/settings", token=admin,
                  json={"api_keys": {"c2pa_certificate_chain": chain, "c2pa_private_key": key}})
    assert r.status_code == 200, r.text
    keys = r.json()["api_keys"]
    assert keys["c2pa_certificate_chain"]["set"] and keys["c2pa_private_key"]["set"]
    assert keys["c2pa_private_key"]["last4"] is None
    shown = json.dumps(stack.api("GET", "/api/admin/settings", token=admin).json())
    assert "PRIVATE KEY" not in shown and "CERTIFICATE" not in shown  # write-only

    image = finished(stack, token, "/api/ai/image", {"prompt": "a signed fox"})
    data = fetch(stack, image)
    action = created_action(manifest(data, image["result"]["mime_type"]))
    assert action["parameters"] == {"provider": image["provider"], "model": "sim"}
    assert action["softwareAgent"]["name"] == f"{image['provider']}/sim"
    assert Image.open(io.BytesIO(data)).size == (image["result"]["width"], image["result"]["height"])

    video = finished(stack, token, "/api/ai/video", {"prompt": "a signed river"})
    assert video["result"]["mime_type"] == "video/mp4"
    assert created_action(manifest(fetch(stack, video), "video/mp4"))["parameters"]["provider"] == video["provider"]

    # Off again: new outputs carry no manifest.
    stack.api("PUT", "/api/admin/settings", token=admin, json={"provenance": {"c2pa": False}})
    with pytest.raises(c2pa.C2paError):
        manifest(fetch(stack, finished(stack, token, "/api/ai/image", {"prompt": "off"})), "image/png")
