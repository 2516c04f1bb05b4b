"""An invitation is written with every completed case (batch intake: a thousand a request),
so its indexes are a cost of intake: (case_id) duplicated the leading column of the unique
(case_id, channel), which serves every lookup by case and the foreign key; and provider_id
(the SMS's BizId, looked up by delivery receipts) is NULL until the SMS leaves — the index
now holds only the invitations that have one."""


def up(migrator, db):
    with db.atomic():
        db.execute_sql('DROP INDEX IF EXISTS "invitation_case_id"')
        db.execute_sql('DROP INDEX IF EXISTS "invitation_provider_id"')
        db.execute_sql(
            'CREATE INDEX "invitation_provider_id" ON "invitation" ("provider_id") WHERE "provider_id" IS NOT NULL'
        )


def down(migrator, db):
    with db.atomic():
        db.execute_sql('DROP INDEX IF EXISTS "invitation_provider_id"')
        db.execute_sql('CREATE INDEX "invitation_provider_id" ON "invitation" ("provider_id")')
        db.execute_sql('CREATE INDEX IF NOT EXISTS "invitation_case_id" ON "invitation" ("case_id")')
