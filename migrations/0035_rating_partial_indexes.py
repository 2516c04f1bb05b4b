"""Ratings' indexes hold only the rows they are for: an index entry costs every rating
its insert (a b-tree page written to the WAL on SQLite, index maintenance on PostgreSQL),
and half of these were for NULLs nobody looks up.

- (case_id, sequence), the one-rating rule: only ratings of a case (case-less on-site
  ratings are the window tablets' whole traffic);
- (rater_ref, window_id, onsite_day, onsite_slot), the on-site daily cap: only case-less
  on-site ratings of a rater (onsite_day set);
- hall_id, window_id, staff_id, item_id (the foreign keys' lookups): only rows that name one.

Every lookup (`case_id = ?`, `staff_id IN (…)`, a foreign key's ON DELETE) implies the
index's condition, so both databases still use them; uniqueness is unchanged, as NULLs
were never equal. bench/README.md, "Rating ingest", has the pages per commit before and after.
"""

PARTIAL = (
    ("rating_case_id_sequence", True, ("case_id", "sequence"), '"case_id" IS NOT NULL'),
    (
        "rating_rater_ref_window_id_onsite_day_onsite_slot",
        True,
        ("rater_ref", "window_id", "onsite_day", "onsite_slot"),
        '"onsite_day" IS NOT NULL',
    ),
    ("rating_hall_id", False, ("hall_id",), '"hall_id" IS NOT NULL'),
    ("rating_window_id", False, ("window_id",), '"window_id" IS NOT NULL'),
    ("rating_staff_id", False, ("staff_id",), '"staff_id" IS NOT NULL'),
    ("rating_item_id", False, ("item_id",), '"item_id" IS NOT NULL'),
)


def _create(db, name, unique, columns, where=None):
    cols = ", ".join(f'"{c}"' for c in columns)
    kind = "UNIQUE INDEX" if unique else "INDEX"
    db.execute_sql(f'CREATE {kind} "{name}" ON "rating" ({cols})' + (f" WHERE {where}" if where else ""))


def up(migrator, db):
    with db.atomic():
        for name, unique, columns, where in PARTIAL:
            db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
            _create(db, name, unique, columns, where)


def down(migrator, db):
    with db.atomic():
        for name, unique, columns, _where in PARTIAL:
            db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
            _create(db, name, unique, columns)
