"""Pages for people: landing, guides, dashboard, league, auction room, results,
spectator screen, first-sign-in tutorial, feedback and status (issue 5).

The pages are rendered on the server; the live parts (auction room, forms that
call the JSON API) are small plain-JS modules under static/js/.
"""
from flask import Blueprint

bp = Blueprint("web", __name__)


@bp.app_template_filter("device_words")
def _device_words(user_agent):
    from auction_app.services.pages import device_words

    return device_words(user_agent)


from auction_app.web import routes  # noqa: E402,F401  (routes attach to bp)
