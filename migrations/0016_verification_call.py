"""A rename only: ticket.callback_at becomes verification_call_at (the phone call
that starts 核实), so that "callback" means Aliyun's webhook alone. No trigger
reads the column; SQLite (≥ 3.25) and PostgreSQL rename it in place."""


def up(migrator, db):
    db.execute_sql('ALTER TABLE "ticket" RENAME COLUMN "callback_at" TO "verification_call_at"')


def down(migrator, db):
    db.execute_sql('ALTER TABLE "ticket" RENAME COLUMN "verification_call_at" TO "callback_at"')
