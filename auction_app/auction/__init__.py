"""The live auction: REST API, Socket.IO room, results and exports."""
from flask import Blueprint

bp = Blueprint("auction", __name__)

from auction_app.auction import routes, sockets  # noqa: E402,F401
