"""Shared types, one submodule per area; `SCHEMA_MODELS` (schemas published beside the routes' own) feed `make openapi`.

Everything is re-exported here, so code imports `from common.models import X`.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

from common.models.core import *  # noqa: F403 - the public surface of the package
from common.models.core import CORE_SCHEMA_MODELS as _CORE_MODELS

AREAS = ("chat", "billing", "admin")

SCHEMA_MODELS: list[type[BaseModel]] = list(_CORE_MODELS)
for _area in AREAS:
    try:
        _module: Any = importlib.import_module(f"common.models.{_area}")
    except ModuleNotFoundError:
        continue
    SCHEMA_MODELS += getattr(_module, "SCHEMA_MODELS", [])
    globals().update({k: v for k, v in vars(_module).items() if isinstance(v, type) and issubclass(v, BaseModel)})
