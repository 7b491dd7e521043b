from gevent import monkey

monkey.patch_all()  # first, before anything imports socket, ssl or threading

from auction_app import create_app  # noqa: E402
from auction_app.extensions import socketio  # noqa: E402
from auction_app.gc_tuning import tune_for_many_sockets  # noqa: E402

app = create_app()
tune_for_many_sockets(app.config["WEB_GC_THRESHOLDS"])  # the web process only: see auction_app/gc_tuning.py

if __name__ == "__main__":
    # Development convenience only; production runs: gunicorn -k gevent -w 1 wsgi:app
    socketio.run(app, host="127.0.0.1", port=5000)
