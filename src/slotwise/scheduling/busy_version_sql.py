"""The triggers that raise HostBusyVersion whenever a table holding a host's busy time changes.

Written once here and used by the migrations that install them (scheduling 0008 for BusyBlock, bookings
0008 for BookingHost and a booking's times), so both tables follow one rule: the writing transaction
itself raises the counter of every host whose rows it inserted, changed or deleted.

PostgreSQL: statement-level triggers with transition tables, so a bulk insert of 10 000 synced events
raises each host's counter once, not 10 000 times; hosts are locked in id order (no deadlock between two
writers). SQLite has no statement triggers: one small indexed UPDATE per row.
"""

VERSIONS = "scheduling_hostbusyversion"

# S608: every name below is a constant of this module or a table name written in a migration; no input.
PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION slotwise_bump_busy_versions(ids bigint[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO {VERSIONS} AS v (membership_id, version)
        SELECT DISTINCT m, 1 FROM unnest(ids) AS m WHERE m IS NOT NULL ORDER BY m
        ON CONFLICT (membership_id) DO UPDATE SET version = v.version + 1
    $$""",  # noqa: S608 - constants only (above)
    """CREATE OR REPLACE FUNCTION slotwise_busy_version_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM slotwise_bump_busy_versions(ARRAY(SELECT membership_id FROM new_rows)); RETURN NULL; END
    $$""",
    """CREATE OR REPLACE FUNCTION slotwise_busy_version_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM slotwise_bump_busy_versions(
                ARRAY(SELECT membership_id FROM new_rows UNION SELECT membership_id FROM old_rows));
            RETURN NULL;
        END
    $$""",
    """CREATE OR REPLACE FUNCTION slotwise_busy_version_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM slotwise_bump_busy_versions(ARRAY(SELECT membership_id FROM old_rows)); RETURN NULL; END
    $$""",
]

PG_DROP_FUNCTIONS = [
    "DROP FUNCTION IF EXISTS slotwise_busy_version_inserted()",
    "DROP FUNCTION IF EXISTS slotwise_busy_version_updated()",
    "DROP FUNCTION IF EXISTS slotwise_busy_version_deleted()",
    "DROP FUNCTION IF EXISTS slotwise_bump_busy_versions(bigint[])",
]


def pg_table_triggers(table: str) -> list[str]:
    """Statement triggers on `table` (which has a membership_id column)."""
    return [
        f"""CREATE TRIGGER {table}_busy_version_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION slotwise_busy_version_inserted()""",
        f"""CREATE TRIGGER {table}_busy_version_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION slotwise_busy_version_updated()""",
        f"""CREATE TRIGGER {table}_busy_version_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION slotwise_busy_version_deleted()""",
    ]


def pg_drop_table_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_busy_version_{op} ON {table}" for op in ("insert", "update", "delete")]


def sqlite_bump(members: str) -> str:
    """The statements that raise the counters of the hosts `members` selects (a SELECT of one column named m)."""
    return f"""INSERT OR IGNORE INTO {VERSIONS} (membership_id, version) SELECT m, 0 FROM ({members}) WHERE m IS NOT NULL;
        UPDATE {VERSIONS} SET version = version + 1 WHERE membership_id IN ({members});"""  # noqa: S608 - constants


def sqlite_table_triggers(table: str) -> list[str]:
    """Row triggers on `table` (which has a membership_id column)."""
    return [
        f"""CREATE TRIGGER {table}_busy_version_insert AFTER INSERT ON {table}
            BEGIN {sqlite_bump("SELECT NEW.membership_id AS m")} END""",
        f"""CREATE TRIGGER {table}_busy_version_update AFTER UPDATE ON {table}
            BEGIN {sqlite_bump("SELECT NEW.membership_id AS m UNION SELECT OLD.membership_id")} END""",
        f"""CREATE TRIGGER {table}_busy_version_delete AFTER DELETE ON {table}
            BEGIN {sqlite_bump("SELECT OLD.membership_id AS m")} END""",
    ]


def sqlite_drop_table_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_busy_version_{op}" for op in ("insert", "update", "delete")]


def run(statements_by_vendor: dict[str, list[str]]):
    """A RunPython function that executes the statements written for the migrating database's vendor."""

    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply
