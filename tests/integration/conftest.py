"""Fixtures every integration module may use: the fake providers of tests/fakes/fixtures.py (`gemini`, `openai_fake`)."""

from tests.fakes.fixtures import gemini, openai_fake  # noqa: F401 (fixtures, found by name)
