"""When an auction completes, every member gets the results by email."""
from celery import shared_task
from flask import current_app, render_template

from auction_app.repositories import auctions, database, leagues
from auction_app.services import results as results_service
from workers.email import send_email


@shared_task(name="workers.results.send_results")
def send_results(auction_id: str) -> int:
    db = database()
    auction = auctions.get(db, auction_id)
    if auction is None:
        return 0
    league = leagues.get(db, auction["league_id"]) or {"name": "your league"}
    data = results_service.results(db, auction)
    link = f"{current_app.config['PUBLIC_BASE_URL']}/leagues/{auction['league_id']}/results"
    text = results_service.results_email_text(data, league["name"], link)
    html = render_template("email/results.html", data=data, league_name=league["name"], link=link)
    users = db.users.find({"_id": {"$in": auction["member_order"]}}, {"email": 1})
    sent = 0
    for user in users:
        send_email.delay(user["email"], f"Auction results: {league['name']}", text, html)
        sent += 1
    return sent
