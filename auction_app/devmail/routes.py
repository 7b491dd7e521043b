from pathlib import Path

from flask import current_app, render_template

from auction_app.devmail import bp
from auction_app.devmail.mailbox import list_messages


@bp.get("/")
def inbox():
    messages = list_messages(Path(current_app.config["MAILCATCHER_DIR"]))
    return render_template("devmail/inbox.html", messages=messages)
