"""Settings refuse unsafe production; media signatures accept only our bucket's objects."""

from __future__ import annotations

import pytest

from common.config import Settings
from common.errors import Forbidden, InvalidRequest
from common.media import MediaSigner, parse_gs


def test_production_refuses_placeholders_and_embedded_parts() -> None:
    with pytest.raises(ValueError) as info:
        Settings(ENV="production", JWT_SECRET="change-me")
    message = str(info.value)
    for expected in ("MONGODB_URI", "QUEUE_BACKEND", "SECRETS_BACKEND", "JWT_SECRET", "ADMIN_PASSWORD", "WORKER_AUDIENCE"):
        assert expected in message


def test_production_starts_with_real_configuration() -> None:
    s = Settings(ENV="production", MONGODB_URI="mongodb+srv://db.example/x", QUEUE_BACKEND="cloudtasks",
                 SECRETS_BACKEND="secretmanager", WORKER_AUDIENCE="https://worker.run.app",
                 TASKS_SERVICE_ACCOUNT="tasks@p.iam.gserviceaccount.com",
                 ADMIN_PASSWORD="a-long-unique-admin-password")
    assert s.ENV == "production"


def test_production_refuses_the_test_password_profile() -> None:
    real = {"MONGODB_URI": "mongodb+srv://db.example/x", "QUEUE_BACKEND": "cloudtasks", "SECRETS_BACKEND": "secretmanager",
            "WORKER_AUDIENCE": "https://worker.run.app", "TASKS_SERVICE_ACCOUNT": "tasks@p.iam.gserviceaccount.com",
            "ADMIN_PASSWORD": "a-long-unique-admin-password"}
    with pytest.raises(ValueError, match="ARGON2_PROFILE"):
        Settings(ENV="production", ARGON2_PROFILE="CHEAPEST", **real)
    assert Settings().ARGON2_PROFILE == "RFC_9106_LOW_MEMORY"


def test_password_profiles_set_argon2_parameters_and_old_hashes_keep_verifying(monkeypatch: pytest.MonkeyPatch) -> None:
    import common.auth as auth

    monkeypatch.setattr(auth, "_hasher", auth._hasher)
    monkeypatch.setattr(auth, "_profile", auth._profile)
    auth.use_password_profile("RFC_9106_LOW_MEMORY")
    strong = auth.hash_password("pw-1")
    auth.use_password_profile("CHEAPEST")
    cheap = auth.hash_password("pw-1")
    assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106 4.(2)
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert auth.verify_password(strong, "pw-1") and auth.verify_password(cheap, "pw-1")


def test_development_defaults_need_nothing() -> None:
    s = Settings()
    assert s.embedded_db and s.QUEUE_BACKEND == "local" and s.IMAGE_PROVIDER == "sim"


@pytest.mark.parametrize(
    "ref",
    [
        "gs://other/media/u/x.png",
        "gs://media/../etc/passwd",
        "gs://media/media/u/../../x",
        "gs://media/media/u%2Fx.png",
        "gs://media/secrets/u/x.png",
        "http://127.0.0.1:9023/media/u/x.png",
        "gs://media/media/u/x.png\n",
        "gs://media/media//x.png",
    ],
)
def test_parse_gs_refuses_anything_but_our_object_names(ref: str) -> None:
    assert parse_gs(ref, bucket="media") is None


def test_signature_round_trip_and_rotation_grace() -> None:
    keys = ["old-key-0123456789"]
    signer = MediaSigner(bucket="media", keys=lambda: list(keys))
    url = signer.url_for("media/u1/t1.png")
    keys.insert(0, "new-key-9876543210")
    assert signer.verify_url(url, owner="u1").name == "media/u1/t1.png"  # old signature still valid
    keys.pop()
    with pytest.raises(Forbidden):
        signer.verify_url(url, owner="u1")  # two versions back: refused
    with pytest.raises(Forbidden):
        signer.verify_url(signer.url_for("media/u1/t1.png"), owner="u2")
    with pytest.raises(InvalidRequest):
        signer.verify_url("https://evil.example/x.png", owner="u1")


def test_production_writes_only_under_the_temp_dir_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import tempfile
    from pathlib import Path

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    prod = dict(ENV="production", MONGODB_URI="mongodb://db.example/x", QUEUE_BACKEND="cloudtasks",
                SECRETS_BACKEND="secretmanager", WORKER_AUDIENCE="https://worker.run.app",
                TASKS_SERVICE_ACCOUNT="tasks@p.iam.gserviceaccount.com", ADMIN_PASSWORD="a-long-unique-admin-password")
    assert Settings(**prod).DATA_DIR == Path(str(tmp_path)) / "sora-data"  # type: ignore[arg-type]
    assert Settings(**prod, DATA_DIR="/srv/data").DATA_DIR == Path("/srv/data")  # type: ignore[arg-type]
    assert Settings().DATA_DIR.name == ".data"  # development keeps the checkout's .data
