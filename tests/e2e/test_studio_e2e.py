"""Issue #3: the whole product in headless Chromium against the real local stack.

The browser work lives in Node scripts (playwright-core driving the system
Chromium); pytest owns the stack's lifetime and fails with the script's
output and the stack log. Screenshots land in artifacts/e2e/.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, SpecRunner

pytestmark = pytest.mark.e2e

SCREENS = ["01-login", "02-register", "03-video", "04-image", "05-lightbox-video", "06-gallery", "09-gallery-phone"]


def test_user_journey_image_to_video_gallery_history(run_spec: SpecRunner) -> None:
    """Register, image, image-to-video with a mid-generation reload, lightbox playback/seek/Range,
    gallery order and filter, logout/login history, client-side validation, phone layout."""
    for name in SCREENS:
        (ARTIFACTS / f"{name}.png").unlink(missing_ok=True)
    run_spec("studio.spec.mjs")
    missing = [name for name in SCREENS if not (ARTIFACTS / f"{name}.png").is_file()]
    assert not missing, f"screenshots not written: {missing}"
    assert (ARTIFACTS / "media-findings.json").is_file()


def test_admin_sees_admin_nav_and_normal_user_does_not(run_spec: SpecRunner) -> None:
    run_spec("admin.spec.mjs")


# Not strict: when the frontend is fixed this XPASSes (shown by -ra) and the marker should go.
@pytest.mark.xfail(strict=False, reason=(
    "frontend bug: after sign-in the app goes to ?next= and is then sent on to /video, because GuestOnly "
    "(frontend/src/App.tsx:30) re-renders with the new token while still on /login and its <Navigate to='/video'> "
    "runs after LoginPage's navigate(safeNext(next)) (frontend/src/features/auth/LoginPage.tsx:25-26)"))
def test_sign_in_returns_to_the_page_asked_for(run_spec: SpecRunner) -> None:
    run_spec("login-next.spec.mjs")
