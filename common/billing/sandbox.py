"""The local sandbox checkout page (no Stripe key; never in production), rendered from templates/sandbox.html."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)

# The page runs no script and posts its forms back to this origin (or the proxy domain's).
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'"


def render_page(*, title: str, order: dict[str, Any] | None = None, message: str = "", sig: str = "",
                account_url: str = "") -> str:
    """The sandbox page: the order with Pay/Cancel forms (a PENDING order), its status and a link back
    (any other), or just `message` when `order` is None. Every value is HTML-escaped by the template."""
    price = f"{order['price_cents'] / 100:.2f} {str(order['currency']).upper()}" if order else ""
    return _ENV.get_template("sandbox.html").render(title=title, order=order, message=message, sig=sig,
                                                    account_url=account_url, price=price)
