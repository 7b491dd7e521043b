"""Development only: a local SMTP catcher and a page listing what it caught.

The blueprint is registered only when ENV_NAME == "development", so the page
does not exist in testing or production.
"""
from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")

from auction_app.devmail import routes  # noqa: E402,F401
