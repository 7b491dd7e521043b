"""Sports catalogs (competitions and their teams)."""
from __future__ import annotations

from dataclasses import asdict

from pymongo.database import Database

from auction_app.domain.catalog import Catalog, Team


def upsert(db: Database, catalog: Catalog) -> None:
    doc = {"name": catalog.name, "sport": catalog.sport, "teams": [asdict(t) for t in catalog.teams]}
    db.sports.update_one({"_id": catalog.key}, {"$set": dict(doc, key=catalog.key)}, upsert=True)


def get(db: Database, key: str) -> Catalog | None:
    if not isinstance(key, str):
        return None
    doc = db.sports.find_one({"_id": key})
    return _to_catalog(doc) if doc else None


def all_catalogs(db: Database) -> list[Catalog]:
    return [_to_catalog(d) for d in db.sports.find().sort("name", 1)]


def _to_catalog(doc: dict) -> Catalog:
    teams = tuple(Team(t["key"], t["name"], t["short"]) for t in doc["teams"])
    return Catalog(doc["_id"], doc["name"], doc["sport"], teams)
