"""Pytest fixtures of the fake providers for tests that run the whole stack against them.

Import the fixtures a module uses (`from tests.fakes.fixtures import gemini, openai_fake`); the stack
must be given the matching keys (`GEMINI_KEY`, `OPENAI_KEY`) through its secrets store.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.gemini import FakeGemini
from tests.fakes.openai_videos import FakeOpenAIVideos

GEMINI_KEY = "gem-key-1"  # the only key the `gemini` fixture accepts
OPENAI_KEY = "sk-test-1"  # the only key the `openai_fake` fixture accepts


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    """A running fake Gemini API (generateContent, Veo operations, files) accepting only `GEMINI_KEY`."""
    with FakeGemini(accepted_keys=(GEMINI_KEY,)) as fake:
        yield fake


@pytest.fixture
def openai_fake() -> Iterator[FakeOpenAIVideos]:
    """A running fake OpenAI-style `/v1/videos` API accepting only `OPENAI_KEY`."""
    with FakeOpenAIVideos(accepted_keys=(OPENAI_KEY,)) as fake:
        yield fake
