"""The production-mode tier (`make test-prod`): one cluster per session, its logs shown on failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.prod.cluster import Cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(root=tmp_path_factory.mktemp("prod")).start()
    yield c
    c.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    c = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(c, Cluster):
        report.sections.append(("function logs", c.logs()))

