"""The demo site: a few pages of the first customer's classified ads, with one
harmless local tracker per category so that the gating can be watched at work."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, render_template, request
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..extension import ConsentUI
from . import errors, pages

ADS = Path(__file__).resolve().parent.parent / "demo_ads.toml"

bp = Blueprint("demo", __name__)
bp.register_error_handler(HTTPException, errors.handle)
bp.after_request(i18n.remember_choice)
bp.after_request(pages.private)


@cache
def ads() -> tuple[dict[str, Any], ...]:
    with ADS.open("rb") as f:
        return tuple(tomllib.load(f)["ads"])


@bp.context_processor
def _trackers() -> dict[str, Any]:
    state = ConsentUI.state()
    optional = [c for c in state.policy.categories if not c.required]
    return {"policy": state.policy, "trackers": optional}


@bp.get("/")
def index() -> str:
    query = request.args.get("q", "").strip()[:100]
    found = [
        ad
        for ad in ads()
        if not query
        or any(query.lower() in str(v).lower() for v in (*ad["title"].values(), ad["city"]))
    ]
    return render_template("demo/index.html", ads=found, query=query)


@bp.get("/ads/<slug>")
def ad(slug: str) -> str:
    for item in ads():
        if item["slug"] == slug:
            return render_template("demo/ad.html", ad=item)
    abort(404)


@bp.get("/demo/partner-video")
def partner_video() -> str:
    """Stands in for a third-party embed (a video player) in a gated iframe, on this
    server's pages and on those of the allowed origins (examples/static-site)."""
    g.csp_frame_ancestors = sorted(ConsentUI.state().settings.allowed_origins)
    return render_template("demo/partner_video.html")
