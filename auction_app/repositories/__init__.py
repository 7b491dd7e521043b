"""Database access layer: the only modules that issue MongoDB operations.

Each module takes a `Database` handle (from auction_app.db) and uses a small,
mainstream set of operations that real MongoDB defines and that the contract
tests in tests/integration/test_mongo_contract.py exercise.
"""
from auction_app.extensions import mongo


def database():
    """The database handle for the current process."""
    return mongo.db
