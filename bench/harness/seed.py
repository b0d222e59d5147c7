"""Grows a stopped Gatehouse's store to a large configuration by writing rows into its SQLite
file directly: through the management API, a million subscriptions would take hours, as every
change rebuilds the whole configuration.

The rows are what the management API would store, except that the subscription keys are in
the clear: Gatehouse seals secrets stored in the clear when it opens the store (the upgrade
path from versions before sealing, crates/gatehouse-store/src/lib.rs, `seal_clear_secrets`),
so the next start seals them all in one write. Python's standard library has no AES-GCM to
seal them here.
"""

import json
import sqlite3
import time

#: Rows per executemany call; all of them go into one transaction.
BATCH = 20000


def seed(database, apis, subscriptions, service_url):
    """Adds `apis` APIs (each with one GET operation, distinct paths) and `subscriptions`
    active subscriptions (distinct keys, spread over the new APIs) to `database`, in one
    transaction, and bumps its generation. Gatehouse must be stopped. Returns seconds taken."""
    began = time.monotonic()
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")  # one commit; a crash loses a scratch copy
        connection.execute("BEGIN IMMEDIATE")
        try:
            _refuse_existing(connection)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            _insert(connection, _api_rows(apis, service_url, now))
            _insert(connection, _subscription_rows(subscriptions, apis, now))
            connection.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return time.monotonic() - began


def api_id(n):
    """The id and path of the n-th extra API (the bench API is `bench`)."""
    return f"size-{n:05d}"


def subscription_key(n, which):
    """A distinct key per subscription and slot ('p' or 's'): the index makes it unique, the
    hex tail makes keys differ early and late, like generated ones."""
    return f"size{which}{n:07d}{(n * 2654435761) % 2**64:016x}"


def _refuse_existing(connection):
    """Seeding twice would fail on duplicate paths half way through: say why up front."""
    if connection.execute("SELECT 1 FROM resources WHERE path = ?", (f"apis/{api_id(0)}",)).fetchone():
        raise RuntimeError("the store is already seeded")


def _insert(connection, rows):
    statement = "INSERT INTO resources (path, kind, properties, updated_at) VALUES (?, ?, ?, ?)"
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.executemany(statement, batch)
            batch.clear()
    connection.executemany(statement, batch)


def _api_rows(count, service_url, now):
    for n in range(count):
        api = {"displayName": f"Size {n}", "path": api_id(n), "protocols": ["https"], "serviceUrl": service_url,
               "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
               "subscriptionRequired": True}
        operation = {"displayName": "Get item", "method": "GET", "urlTemplate": "/items/{id}"}
        yield f"apis/{api_id(n)}", "apis", _json(api), now
        yield f"apis/{api_id(n)}/operations/get-item", "operations", _json(operation), now


def _subscription_rows(count, apis, now):
    for n in range(count):
        subscription = {"allowTracing": False, "createdDate": now, "displayName": f"Size {n}",
                        "primaryKey": subscription_key(n, "p"), "scope": f"/apis/{api_id(n % apis)}" if apis else "/apis",
                        "secondaryKey": subscription_key(n, "s"), "state": "active"}
        yield f"subscriptions/size-{n:07d}", "subscriptions", _json(subscription), now


def _json(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
