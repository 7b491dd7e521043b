"""Fixture imports, scoring rules and standings through the real API.

Real services: nx-27017, Redis (rate limits), a Celery worker and an SMTP
capture for the weekly summary. Each test drives its own small auction to
completion with the engine (moving the clock instead of sleeping), then imports
the example files from examples/fixtures/ as the commissioner would.

Rosters used by most tests (football defaults: win 3, draw 1, +1 per goal):

    Ann  Liverpool, Arsenal                    premier-league-sample.csv -> 13 + 12 = 25
    Ben  Chelsea, Tottenham Hotspur                                         9 + 11 = 20
    Cat  AFC Bournemouth, Manchester City                                   6 +  7 = 13
"""
from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from auction_app.repositories import fixtures as fixtures_repo
from tests.support.factories import bearer, completed_league

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fixtures"

PL_SALES = [("liverpool", 0, 10), ("chelsea", 1, 8), ("bournemouth", 2, 3),
            ("arsenal", 0, 5), ("tottenham-hotspur", 1, 6), ("manchester-city", 2, 4)]


# --------------------------------------------------------------------------- helpers

def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def upload(client, league_id, headers, content: bytes, filename: str):
    return client.post(f"/api/leagues/{league_id}/fixtures", headers=headers,
                       data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def table(response) -> list[tuple[int, str, int]]:
    data = response.get_json()
    rows = data["standings"]["standings"] if "standings" in data and isinstance(data["standings"], dict) \
        else data["standings"]
    return [(r["rank"], r["name"], r["points"]) for r in rows]


def standings_of(client, league_id, headers) -> dict:
    response = client.get(f"/api/leagues/{league_id}/standings", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def pl_league(app, db, catalogs):
    league, users = completed_league(db, PL_SALES)
    return league, users, [bearer(app, u) for u in users]


# --------------------------------------------------------------------------- imports

def test_importing_the_example_files_ranks_members_by_their_teams_points(client, pl_league):
    league, users, (ann, ben, cat) = pl_league
    before = standings_of(client, league["_id"], ben)
    # No results yet: everyone on 0, so the last tie-breaker (less money spent) orders the table.
    assert [(r["rank"], r["name"], r["points"], r["spent"]) for r in before["standings"]] == [
        (1, "Cat", 0, 7), (2, "Ben", 0, 14), (3, "Ann", 0, 15)]

    response = upload(client, league["_id"], ann, example("premier-league-sample.csv"), "premier-league-sample.csv")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["import"]["imported"] == 20 and body["import"]["created"] == 20
    assert table(response) == [(1, "Ann", 25), (2, "Ben", 20), (3, "Cat", 13)]
    ann_row = body["standings"]["standings"][0]
    assert [(t["team_name"], t["points"], t["won"]) for t in ann_row["teams"]] == [("Liverpool", 13, 2),
                                                                                   ("Arsenal", 12, 2)]
    assert ann_row["wins"] == 4 and ann_row["goals_for"] == 13 and ann_row["spent"] == 15

    # Another member sees the same table; the JSON example (matchweek 3, two fixtures not played yet) adds to it.
    response = upload(client, league["_id"], ann, example("premier-league-sample.json"), "premier-league-sample.json")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["import"]["played"] == 10
    after = standings_of(client, league["_id"], cat)
    assert [(r["rank"], r["name"], r["points"]) for r in after["standings"]] == [
        (1, "Ann", 29), (2, "Ben", 25), (3, "Cat", 18)]
    assert after["fixtures"] == {"total": 32, "played": 30, "last_import_at": after["fixtures"]["last_import_at"]}

    # Each team's results, with its owner; unplayed fixtures listed as upcoming.
    results = client.get(f"/api/leagues/{league['_id']}/teams/arsenal/results", headers=cat).get_json()
    assert results["owner"]["name"] == "Ann"
    assert [(r["date"], r["opponent_name"], r["outcome"], r["points"]) for r in results["results"]] == [
        ("2025-08-17", "Manchester United", "W", 4), ("2025-08-23", "Leeds United", "W", 8),
        ("2025-08-31", "Liverpool", "L", 0)]
    assert [u["opponent_name"] for u in results["upcoming"]] == ["Nottingham Forest"]


def test_the_ipl_example_scores_with_cricket_rules(app, client, db, catalogs):
    league, users = completed_league(
        db, [("kolkata-knight-riders", 0, 5), ("sunrisers-hyderabad", 1, 5),
             ("royal-challengers-bengaluru", 0, 5), ("delhi-capitals", 1, 5)],
        sport_key="ipl", members=2)
    headers = bearer(app, users[0])
    response = upload(client, league["_id"], headers, example("ipl-sample.csv"), "ipl-sample.csv")
    assert response.status_code == 200, response.get_json()
    view = response.get_json()["standings"]
    assert view["rules"] == {"win": 2, "draw": 1, "loss": 0, "no_result": 1, "per_goal": 0}
    assert view["score_label"] == "runs"
    # KKR 2 wins + 1 rained off = 5, RCB 2 wins + 1 rained off = 5; SRH 1 win = 2,
    # Delhi 3 wins (one by super over: "result" column says home) = 6.
    assert table(response) == [(1, "Ann", 10), (2, "Ben", 8)]
    kkr = client.get(f"/api/leagues/{league['_id']}/teams/kolkata-knight-riders/results", headers=headers).get_json()
    assert kkr["record"]["no_result"] == 1 and kkr["record"]["won"] == 2 and kkr["record"]["points"] == 5


def test_a_file_with_bad_rows_is_refused_with_every_row_reported_and_nothing_changed(client, db, pl_league):
    league, users, (ann, ben, cat) = pl_league
    assert upload(client, league["_id"], ann, example("premier-league-sample.csv"), "fixtures.csv").status_code == 200
    set_before = fixtures_repo.get_set(db, fixtures_repo.league_set_id(league["_id"]))
    table_before = standings_of(client, league["_id"], ben)["standings"]

    response = upload(client, league["_id"], ann, example("premier-league-bad.csv"), "premier-league-bad.csv")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "import_refused"
    assert "Nothing was imported" in error["message"] and "10 rows" in error["message"]
    reported = {p["row"]: p["message"] for p in error["details"]}
    assert sorted(reported) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "unknown home team 'Arsnal' (did you mean 'Arsenal'?)" == reported[3]
    assert "YYYY-MM-DD" in reported[4]
    assert "can't play itself" in reported[5]
    assert "negative" in reported[7]
    assert "not a whole number" in reported[8]
    assert "not a real calendar date" in reported[9]
    assert "only one score" in reported[10]
    assert "already on row 2" in reported[11]
    assert "has 6 values" in reported[12]
    assert error["details"][0]["text"].startswith("row 3: ")

    # The good first row of the bad file (a changed Liverpool score would be 4-2 anyway) wrote nothing.
    assert fixtures_repo.get_set(db, fixtures_repo.league_set_id(league["_id"])) == set_before
    assert standings_of(client, league["_id"], ben)["standings"] == table_before


def test_files_that_are_not_fixture_files_are_refused_in_plain_words(client, db, pl_league):
    league, users, (ann, ben, cat) = pl_league
    cases = [
        (b"date,home,away\n2025-08-15,Liverpool,Arsenal\n", "x.csv", "missing columns: home_score, away_score"),
        (b"PK\x03\x04\x00\x00binary", "fixtures.csv", "not a text CSV file"),
        (b"hello", "fixtures.xlsx", "only .csv and .json files can be imported"),
        (b"a" * (1024 * 1024 + 1), "big.csv", "too big"),
    ]
    for content, name, expected in cases:
        response = upload(client, league["_id"], ann, content, name)
        assert response.status_code == 400, (name, response.get_json())
        assert expected in response.get_json()["error"]["details"][0]["message"]
    # Far over the limit: refused before the upload is even read.
    huge = upload(client, league["_id"], ann, b"a" * (3 * 1024 * 1024), "huge.csv")
    assert huge.status_code == 413 and "limit is 1 MB" in huge.get_json()["error"]["message"]
    assert fixtures_repo.get_set(db, fixtures_repo.league_set_id(league["_id"])) is None


def test_reimporting_an_updated_result_changes_the_standings(client, pl_league):
    league, users, (ann, ben, cat) = pl_league
    upload(client, league["_id"], ann, example("premier-league-sample.csv"), "fixtures.csv")
    # The same file again changes nothing (a fixture is identified by date and teams).
    again = upload(client, league["_id"], ann, example("premier-league-sample.csv"), "fixtures.csv").get_json()
    assert (again["import"]["created"], again["import"]["updated"], again["import"]["unchanged"]) == (0, 0, 20)
    assert [(r["name"], r["points"]) for r in again["standings"]["standings"]] == [
        ("Ann", 25), ("Ben", 20), ("Cat", 13)]

    # Liverpool 4-2 Bournemouth was wrong: Bournemouth won 2-0 (teams written differently this time).
    corrected = b"date,home,away,home_score,away_score\n2025-08-15,LIV,bou,0,2\n"
    response = upload(client, league["_id"], ann, corrected, "correction.csv")
    body = response.get_json()
    assert (body["import"]["created"], body["import"]["updated"]) == (0, 1)
    assert body["standings"]["fixtures"]["total"] == 20
    # Liverpool 13 -> 6, Bournemouth 2 -> 5 (win 3 + 2 goals): Ben now leads.
    assert table(response) == [(1, "Ben", 20), (2, "Ann", 18), (3, "Cat", 16)]


def test_imports_racing_on_one_league_lose_nothing(db, pl_league):
    import threading

    from auction_app.services import standings as service

    league, users, _ = pl_league
    rows = ["2025-09-13,ARS,NFO,2,0", "2025-09-13,LIV,BUR,1,1", "2025-09-14,CHE,BRE,0,3", "2025-09-14,TOT,WHU,4,4",
            "2025-09-15,MCI,MUN,2,2", "2025-09-15,BOU,BHA,0,0"]
    errors = []

    def run(row):
        try:
            service.import_for_league(db, league["_id"], users[0]["_id"], "one.csv",
                                      f"date,home,away,home_score,away_score\n{row}\n".encode(),
                                      datetime.now(timezone.utc))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(row,)) for row in rows]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    stored = fixtures_repo.get_set(db, fixtures_repo.league_set_id(league["_id"]))
    assert len(stored["fixtures"]) == 6 and stored["version"] == 6


# --------------------------------------------------------------------------- scoring rules

def test_changing_the_scoring_rules_recomputes_the_standings(client, pl_league):
    league, users, (ann, ben, cat) = pl_league
    upload(client, league["_id"], ann, example("premier-league-sample.csv"), "fixtures.csv")
    url = f"/api/leagues/{league['_id']}/scoring"
    assert client.get(url, headers=ben).get_json()["rules"] == {"win": 3, "draw": 1, "loss": 0, "no_result": 1,
                                                                "per_goal": 1}

    response = client.put(url, headers=ann, json={"per_goal": 0})
    assert response.status_code == 200, response.get_json()
    assert table(response) == [(1, "Ann", 12), (2, "Ben", 10), (3, "Cat", 6)]
    assert standings_of(client, league["_id"], cat)["rules"]["per_goal"] == 0

    # Draws worth as much as wins: Ben's draw catches up; Ann stays ahead on wins (4 to 3), same rank rules.
    response = client.put(url, headers=ann, json={"draw": 3})
    assert table(response) == [(1, "Ann", 12), (2, "Ben", 12), (3, "Cat", 6)]

    refused = client.put(url, headers=ann, json={"win": 1, "per_goal": -2})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["details"] == ["Points for per goal can't be negative."]
    wrong_order = client.put(url, headers=ann, json={"win": 1})
    assert "A win must be worth at least as much as a draw." in wrong_order.get_json()["error"]["details"]
    assert client.put(url, headers=ann, json={"win": "3"}).status_code == 400
    assert client.put(url, headers=ann, json={"bonus": 3}).status_code == 400
    assert client.put(url, headers=ben, json={"win": 10}).status_code == 403
    assert [(r["name"], r["points"]) for r in standings_of(client, league["_id"], ben)["standings"]] == [
        ("Ann", 12), ("Ben", 12), ("Cat", 6)]

    reset = client.delete(url, headers=ann)
    assert reset.get_json()["rules_are_default"] is True
    assert table(reset) == [(1, "Ann", 25), (2, "Ben", 20), (3, "Cat", 13)]


# --------------------------------------------------------------------------- who may do what

def test_non_members_get_not_found_and_members_cannot_import(app, client, db, pl_league):
    from tests.support.factories import make_user

    league, users, (ann, ben, cat) = pl_league
    outsider = bearer(app, make_user(db, "Outsider"))
    lid = league["_id"]
    for method, path in [("get", f"/api/leagues/{lid}/standings"), ("get", f"/api/leagues/{lid}/scoring"),
                         ("get", f"/api/leagues/{lid}/teams/arsenal/results"),
                         ("put", f"/api/leagues/{lid}/scoring"), ("delete", f"/api/leagues/{lid}/scoring"),
                         ("get", f"/leagues/{lid}/standings")]:
        response = getattr(client, method)(path, headers=outsider, json={"win": 3} if method == "put" else None)
        assert response.status_code == 404, (method, path)
    refused = upload(client, lid, outsider, example("premier-league-sample.csv"), "f.csv")
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "league_not_found"

    member = upload(client, lid, ben, example("premier-league-sample.csv"), "f.csv")
    assert member.status_code == 403
    assert member.get_json()["error"]["message"] == "Only the commissioner can import fixtures and results."
    assert client.delete(f"/api/leagues/{lid}/scoring", headers=ben).status_code == 403
    assert client.get(f"/api/leagues/{lid}/standings").status_code == 401
    unknown = client.get(f"/api/leagues/{lid}/teams/real-madrid/results", headers=ben)
    assert unknown.status_code == 404 and "real-madrid" in unknown.get_json()["error"]["message"]
    assert fixtures_repo.get_set(db, fixtures_repo.league_set_id(lid)) is None


def test_the_sixth_import_in_an_hour_is_refused_with_a_friendly_message(client, pl_league):
    league, users, (ann, ben, cat) = pl_league
    # A refused file and a member's attempt don't use up the league's allowance.
    assert upload(client, league["_id"], ann, example("premier-league-bad.csv"), "bad.csv").status_code == 400
    assert upload(client, league["_id"], ben, example("premier-league-sample.csv"), "f.csv").status_code == 403
    for attempt in range(5):
        response = upload(client, league["_id"], ann, example("premier-league-sample.csv"), "f.csv")
        assert response.status_code == 200, (attempt, response.get_json())
    limited = upload(client, league["_id"], ann, example("premier-league-sample.csv"), "f.csv")
    assert limited.status_code == 429
    message = limited.get_json()["error"]["message"]
    assert message.startswith("This league has already imported fixtures 5 times in the last hour.")
    assert re.search(r"Try again in \d+ minutes\.$", message), message
    assert 0 < int(limited.headers["Retry-After"]) <= 3600


def test_an_admin_import_serves_every_league_of_the_sport(app, client, db, catalogs):
    from auction_app.domain.catalog import parse_catalog
    from auction_app.repositories import sports
    from tests.support.factories import make_user

    # A sport of its own, so this sport-wide import can't touch other tests' leagues.
    key = f"test-cup-{uuid.uuid4().hex[:6]}"
    pl = catalogs["premier-league"]
    sports.upsert(db, parse_catalog({"key": key, "name": "Test Cup", "sport": "football",
                                     "teams": [{"key": t.key, "name": t.name, "short": t.short} for t in pl.teams]}))
    first, first_users = completed_league(db, PL_SALES, sport_key=key)
    second, second_users = completed_league(db, [("manchester-city", 0, 4), ("tottenham-hotspur", 0, 6),
                                                 ("arsenal", 1, 5), ("bournemouth", 1, 3), ("chelsea", 2, 8),
                                                 ("liverpool", 2, 10)], sport_key=key)
    admin = make_user(db, "Admin")
    db.users.update_one({"_id": admin["_id"]}, {"$set": {"role": "admin"}})
    admin["role"] = "admin"
    url = f"/api/admin/sports/{key}/fixtures"

    assert client.post(url, headers=bearer(app, first_users[0]), data={"file": (io.BytesIO(b"x"), "a.csv")},
                       content_type="multipart/form-data").status_code == 403
    response = client.post(url, headers=bearer(app, admin), data={"file": (io.BytesIO(
        example("premier-league-sample.csv")), "pl.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["leagues_affected"] == 2
    first_table = standings_of(client, first["_id"], bearer(app, first_users[1]))
    assert [(r["name"], r["points"]) for r in first_table["standings"]] == [("Ann", 25), ("Ben", 20), ("Cat", 13)]
    # Second league: Ann has City + Tottenham (18), Ben Arsenal + Bournemouth (18), Cat Chelsea + Liverpool (22).
    # Ann and Ben are level on points, wins (3) and goals (9); Ben spent less at the auction, so he is 2nd.
    second_table = standings_of(client, second["_id"], bearer(app, second_users[0]))
    assert [(r["rank"], r["name"], r["points"]) for r in second_table["standings"]] == [
        (1, "Cat", 22), (2, "Ben", 18), (3, "Ann", 18)]

    # A commissioner's correction only changes their own league, and wins over the admin's older row.
    corrected = b"date,home,away,home_score,away_score\n2025-08-15,LIV,bou,0,2\n"
    assert upload(client, first["_id"], bearer(app, first_users[0]), corrected, "c.csv").status_code == 200
    assert [r["points"] for r in standings_of(client, first["_id"], bearer(app, first_users[1]))["standings"]] == [
        20, 18, 16]
    assert [r["points"] for r in standings_of(client, second["_id"], bearer(app, second_users[0]))[
        "standings"]] == [22, 18, 18]
    assert client.post("/api/admin/sports/no-such-sport/fixtures", headers=bearer(app, admin),
                       data={"file": (io.BytesIO(b"x"), "a.csv")},
                       content_type="multipart/form-data").status_code == 404


def test_the_api_also_takes_the_file_itself_as_the_body(client, pl_league):
    league, users, (ann, ben, cat) = pl_league
    response = client.post(f"/api/leagues/{league['_id']}/fixtures", headers=ann,
                           data=example("premier-league-sample.json"), content_type="application/json")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["import"]["imported"] == 12
    response = client.post(f"/api/leagues/{league['_id']}/fixtures", headers=ann,
                           data=example("premier-league-sample.csv"), content_type="text/csv")
    assert response.status_code == 200
    assert response.get_json()["standings"]["fixtures"]["total"] == 32


# --------------------------------------------------------------------------- the page

def test_the_standings_page_shows_the_table_and_the_commissioner_tools(client, pl_league):
    league, users, (ann, ben, cat) = pl_league
    upload(client, league["_id"], ann, example("premier-league-sample.csv"), "f.csv")
    page = client.get(f"/leagues/{league['_id']}/standings", headers=ben)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ann" in html and "Liverpool</a>: 13 pts" in html and "<strong>25</strong>" in html
    assert "/static/js/standings.js" in html and "<script>" not in html  # CSP: no inline script
    assert 'id="import-form"' not in html  # members don't get the commissioner's tools
    commissioner = client.get(f"/leagues/{league['_id']}/standings", headers=ann).get_data(as_text=True)
    assert 'id="import-form"' in commissioner and 'id="scoring-form"' in commissioner
    assert client.get("/static/js/standings.js").status_code == 200


# --------------------------------------------------------------------------- weekly summary

def test_the_weekly_summary_goes_to_opted_in_members_and_the_unsubscribe_link_works(
        app, client, db, pl_league, worker, mail_capture):
    from workers.standings import send_league_summary

    league, users, (ann, ben, cat) = pl_league
    upload(client, league["_id"], ann, example("premier-league-sample.csv"), "f.csv")
    # Cat switches the summary off from her account.
    assert client.put("/api/account/email-preferences", headers=cat,
                      json={"weekly_summary": False}).get_json() == {"weekly_summary": False}
    assert client.get("/api/account/email-preferences", headers=cat).get_json() == {"weekly_summary": False}
    assert client.get("/api/account/email-preferences", headers=ben).get_json() == {"weekly_summary": True}
    emails = {u["display_name"]: db.users.find_one({"_id": u["_id"]})["email"] for u in users}
    week = f"2099-W{uuid.uuid4().int % 50 + 1:02d}-{uuid.uuid4().hex[:4]}"
    start = len(mail_capture.messages)

    assert send_league_summary.apply(args=(league["_id"], week)).get() == 2
    to_ann = mail_capture.wait_for(emails["Ann"], subject_contains="Your week in", after=start)
    to_ben = mail_capture.wait_for(emails["Ben"], subject_contains="Your week in", after=start)
    assert to_ann.subject == f"Your week in {league['name']}: 1st of 3"
    assert "You're 1st of 3" in to_ann.text and "25 points" in to_ann.text
    assert "Liverpool: 13 pts" in to_ann.text
    assert "You're 2nd of 3" in to_ben.text and "Chelsea" in to_ben.html
    # The same week again (a repeated beat run, a redelivered task) sends nothing.
    assert send_league_summary.apply(args=(league["_id"], week)).get() == 0

    link = re.search(r"(http\S+/email/unsubscribe/\S+)", to_ben.text).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()
    confirm = anonymous.get("/" + path)
    assert confirm.status_code == 200 and "Stop the weekly summary?" in confirm.get_data(as_text=True)
    assert confirm.headers["Referrer-Policy"] == "no-referrer"
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm.get_data(as_text=True)).group(1)
    done = anonymous.post("/" + path, data={"csrf_token": token})
    assert done.status_code == 200 and "You're unsubscribed" in done.get_data(as_text=True)
    assert client.get("/api/account/email-preferences", headers=ben).get_json() == {"weekly_summary": False}
    assert anonymous.get("/email/unsubscribe/forged-token").status_code == 404

    # Next week only Ann (still opted in) gets it; mail to Ben and Cat never arrives.
    start = len(mail_capture.messages)
    assert send_league_summary.apply(args=(league["_id"], week + "-next")).get() == 1
    mail_capture.wait_for(emails["Ann"], subject_contains="Your week in", after=start)
    assert not [m for m in mail_capture.to(emails["Cat"])]
    assert len(mail_capture.to(emails["Ben"])) == 1
