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


def test_sign_in_returns_to_the_page_asked_for(run_spec: SpecRunner) -> None:
    run_spec("login-next.spec.mjs")
