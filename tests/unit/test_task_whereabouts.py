"""`stage` and `eta_s` of a running task, from its stored document and an injected instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.generation import task_whereabouts

T0 = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def doc(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"status": "GENERATING", "progress": 0, "job": None, "created_at": T0, "started_at": None}
    base.update(fields)
    return base


def test_finished_tasks_have_no_stage() -> None:
    assert task_whereabouts(doc(status="COMPLETED"), now=T0, median_s=10) == {}
    assert task_whereabouts(doc(status="FAILED"), now=T0, median_s=10) == {}


def test_stages_follow_the_stored_job_and_progress() -> None:
    job = {"id": "j"}
    assert task_whereabouts(doc(status="PENDING"), now=T0, median_s=None)["stage"] == "queued"
    assert task_whereabouts(doc(job=job), now=T0, median_s=None)["stage"] == "submitted"
    assert task_whereabouts(doc(job=job, progress=40, started_at=T0), now=T0, median_s=None)["stage"] == "rendering"
    assert task_whereabouts(doc(job=job, progress=99, started_at=T0), now=T0, median_s=None)["stage"] == "storing"


def test_eta_extrapolates_the_providers_progress() -> None:
    # 25 % after 10 s of rendering: 30 s to go.
    d = doc(job={"id": "j"}, progress=25, started_at=T0)
    assert task_whereabouts(d, now=T0 + timedelta(seconds=10), median_s=500)["eta_s"] == 30


def test_eta_before_progress_is_the_recent_median_less_the_time_spent() -> None:
    assert task_whereabouts(doc(), now=T0 + timedelta(seconds=4), median_s=20)["eta_s"] == 16
    # Overdue against the median: never 0 or negative.
    assert task_whereabouts(doc(), now=T0 + timedelta(seconds=40), median_s=20)["eta_s"] == 1
    assert task_whereabouts(doc(), now=T0, median_s=None)["eta_s"] is None
