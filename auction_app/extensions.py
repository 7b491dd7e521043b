"""Extensions are created once here and bound to an app in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_socketio import SocketIO

from auction_app.db import Mongo

# async_mode is explicit: auto-detection would pick eventlet if it were ever installed.
socketio = SocketIO(async_mode="gevent")
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
mail = Mail()
mongo = Mongo()
