"""routes.json is the one path → function table: every declared route lands on the function that declares it."""

from __future__ import annotations

import importlib
import re

import pytest

from common.routes import function_for, functions, table


def _sample(path: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "x1", path)


@pytest.mark.parametrize("name", functions())
def test_every_registered_route_is_served_by_its_own_function(name: str) -> None:
    api = importlib.import_module(f"functions.{name}").api
    assert api.name == name
    for spec in api.specs():
        if spec.internal:
            continue
        assert function_for(_sample(spec.path)) == name, spec.path


def test_the_table_answers_like_the_proxy() -> None:
    assert function_for("/api/health") == "auth"
    assert function_for("/api/healthz") == "web"  # exact row: nothing below it
    assert function_for("/api/ai/chats/abc") == "chat"
    assert function_for("/api/ai/chat/regenerate") == "chat"
    assert function_for("/api/ai/proxy") == "proxy"
    assert function_for("/api/ai/video") == "generate"
    assert function_for("/api/tasks/run") == "worker"
    assert function_for("/gallery") == "web"
    rows, default = table()
    assert default == "web" and [r.function for r in rows if r.internal] == ["worker"]


def test_declared_bodies_and_queries_are_pydantic_models_and_public_routes_say_what_they_answer() -> None:
    from scripts.gen_openapi import route_specs

    for spec in route_specs():
        assert spec.summary, f"{spec.path}: give the view a docstring or a summary"
        if "POST" in spec.methods or "PUT" in spec.methods or "PATCH" in spec.methods:
            assert spec.body or spec.upload or spec.status in (200, 202, 204, 303) or spec.response, spec.path


def test_the_nginx_template_has_one_location_per_row_and_proxies_it_to_its_function() -> None:
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("sora_nginx_render", root / "nginx" / "render.py")
    assert spec and spec.loader
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    template = (root / "nginx" / "sora.conf.tmpl").read_text()
    render.check_locations(template)
    with pytest.raises(render.TemplateError):
        render.check_locations(template.replace("location ^~ /api/billing/", "location ^~ /api/bill/"))
    with pytest.raises(render.TemplateError):
        render.check_locations(template.replace('"${admin_upstream}"', '"${auth_upstream}"'))
