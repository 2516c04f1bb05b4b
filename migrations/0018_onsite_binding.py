"""Case-less on-site ratings bound to what a person cannot reset by clearing cookies.

- rating.rater_network: a keyed hash of the client's network (its IPv4 address, or its
  IPv6 /64), kept on case-less on-site ratings;
- rating.network_slot: the slot an anonymous (cookie-only) rating took among those that
  count for its network at its window that day; a partial unique index on (window, day,
  network, slot) caps them race-safely, and serves the per-window counts of the day;
- phone_verification: the SMS one-time codes that bind a rating to a verified phone.

Nullable columns only: SQLite adds them in place (no table rebuild, the rollup triggers
stay as they are).
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('rating', 'rater_network', CharField(max_length=64, null=True)),
        migrator.add_column('rating', 'network_slot', IntegerField(null=True)),
    )
    db.execute_sql(
        'CREATE UNIQUE INDEX IF NOT EXISTS "rating_onsite_network" ON "rating" '
        '("window_id", "onsite_day", "rater_network", "network_slot") WHERE ("onsite_day" IS NOT NULL)'
    )

    class PhoneVerification(Model):
        phone_hash = CharField(max_length=64, index=True)
        code_hash = CharField(max_length=64)
        attempts = IntegerField(default=0)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        verified_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'phone_verification'

    db.create_tables([PhoneVerification])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('phone_verification'))
    db.execute_sql('DROP INDEX IF EXISTS "rating_onsite_network"')
    migrator.migrate(migrator.drop_column('rating', 'network_slot'), migrator.drop_column('rating', 'rater_network'))
