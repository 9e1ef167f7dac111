"""Fake provider HTTP servers speaking the real wire formats, for tests through the real SDKs."""

from tests.fakes.gemini import FakeGemini
from tests.fakes.media import mp4_bytes, png_bytes
from tests.fakes.openai_videos import FakeOpenAIVideos
from tests.fakes.server import FakeServer, RecordedRequest, Reply, slow

__all__ = ["FakeGemini", "FakeOpenAIVideos", "FakeServer", "RecordedRequest", "Reply", "mp4_bytes", "png_bytes", "slow"]
