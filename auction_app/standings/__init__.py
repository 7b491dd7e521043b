"""Fixtures, scoring and live standings (issue 6): JSON API, the standings page,
the weekly-summary unsubscribe page and the `join_league` Socket.IO room.

Routes are thin: they read the request, call auction_app.services.standings
(which decides who may do what) and broadcast the new table.
"""
from flask import Blueprint

bp = Blueprint("standings", __name__)

from auction_app.standings import routes, sockets  # noqa: E402,F401
