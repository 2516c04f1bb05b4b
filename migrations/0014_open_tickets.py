"""Open tickets by time, for "overdue now" in the rectification figures: a partial index
(open tickets are few), and a ticket's created_at kept equal to its rating's time (the
ticket rollup's rating trigger, reinstalled here; existing rows aligned once)."""

OPEN_STATES = ("new", "verifying", "rectifying")  # models.ticket.OPEN_STATES when this was written


def up(migrator, db):
    from figures import ticket_rollup
    from figures import triggers

    states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    db.execute_sql(
        f'CREATE INDEX IF NOT EXISTS "ticket_open_created_at" ON "ticket" ("created_at") WHERE "state" IN ({states})'
    )
    with db.atomic():
        db.execute_sql(
            "UPDATE ticket SET created_at = (SELECT r.created_at FROM rating r WHERE r.id = ticket.rating_id) "
            "WHERE created_at <> (SELECT r.created_at FROM rating r WHERE r.id = ticket.rating_id)"
        )
        triggers.install(ticket_rollup)


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "ticket_open_created_at"')
