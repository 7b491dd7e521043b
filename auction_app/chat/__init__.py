"""Chat and reactions in the auction room (Socket.IO only; see docs/user-guide.md).

rules.py holds the plain rules (what a message may say, which reactions exist);
sockets.py the handlers, registered by create_app for web processes; messages are
stored through auction_app.repositories.chat.
"""
