"""Deployable entry points: one module per Cloud Run service, each a thin door over `common`."""
