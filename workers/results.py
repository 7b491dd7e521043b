"""When an auction completes, every member gets the results by email."""
from celery import shared_task
from flask import current_app, render_template

from auction_app.repositories import auctions, database, leagues, users
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
    addresses = users.emails_of(db, auction["member_order"])
    for address in addresses:
        send_email.delay(address, f"Auction results: {league['name']}", text, html)
    return len(addresses)
