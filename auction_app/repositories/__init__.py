"""Database access layer: the only modules that issue MongoDB operations.

Each module takes a `Database` handle (from auction_app.db) and uses a small,
mainstream set of operations that real MongoDB defines and that the contract
tests in tests/integration/test_mongo_contract.py exercise.

Datetimes: insert them, stamp "now" in an update with `$currentDate`, or
replace the whole document; never `$set` (or `$max`) a datetime field. The
local emulator stores such a datetime as a string, which then compares
wrongly; and only dates written by insert or replace can be range-queried
there (docs/mongodb-compatibility.md).
"""


def database():
    """The database handle for the current process."""
    from auction_app.extensions import mongo  # late: auction_app.db imports this package's date codec

    return mongo.db
