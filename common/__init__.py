"""Sora Studio shared library: every deployable function is a thin door over this package."""
