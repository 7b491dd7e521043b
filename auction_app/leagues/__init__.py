"""League API: sports catalogs, leagues, invitations, membership, proxy maximums.

Routes are thin: they validate the body (schemas.py), find the signed-in user
and call auction_app.services.leagues, which holds the rules and decides who
may do what.
"""
from flask import Blueprint

bp = Blueprint("leagues", __name__, url_prefix="/api")

from auction_app.leagues import routes  # noqa: E402,F401
