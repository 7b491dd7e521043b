"""When an auction completes, every member gets the results by email, once."""
from celery import shared_task
from flask import current_app, render_template

from auction_app.clock import utcnow
from auction_app.repositories import auctions, database, leagues, mail_claims, users
from auction_app.services import results as results_service
from workers.email import queue_email


@shared_task(name="workers.results.send_results")
def send_results(auction_id: str) -> int:
    """Queue each member's results email; a member already mailed is skipped (safe to run twice)."""
    db = database()
    auction = auctions.get(db, auction_id)
    if auction is None or auction["status"] != auctions.COMPLETED or auction.get("kind") == "practice":
        return 0
    league = leagues.get(db, auction["league_id"]) or {"name": "your league"}
    data = results_service.results(db, auction)
    link = f"{current_app.config['PUBLIC_BASE_URL']}/leagues/{auction['league_id']}/results"
    text = results_service.results_email_text(data, league["name"], link)
    html = render_template("email/results.html", data=data, league_name=league["name"], link=link)
    sent = 0
    for user_id, address in users.emails_by_id(db, auction["member_order"]).items():
        if mail_claims.claim(db, f"results:{auction_id}:{user_id}", utcnow()):
            queue_email(address, f"Auction results: {league['name']}", text, html)
            sent += 1
    return sent
