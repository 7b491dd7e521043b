"""Pure domain logic (no Flask, no database): catalogs, fixture imports and scoring."""
