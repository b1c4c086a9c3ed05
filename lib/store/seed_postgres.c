/*
 * db-seed on PostgreSQL: one COPY ... FROM STDIN (text format) per batch,
 * rows buffered and sent with PQputCopyData in chunks. Generated values
 * never hold tabs, newlines or backslashes, so they need no escaping; reals
 * are written with 17 significant digits, which float8 reads back exactly.
 * Ends with VACUUM ANALYZE of the seeded tables (statistics and the
 * visibility map a long-lived database would have).
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_int.h"
#include "tars/alloc.h"
#include "tars/str.h"

#define COPY_CHUNK (256 * 1024)

static const char *const copy_sql[SEED_TABLES] = {
    "COPY evaluations (id, agent_id, region, status, reward, duration_ms, created_at, "
    "updated_at, timestamp) FROM STDIN",
    "COPY missions (id, name, status, agent_id, created_at, updated_at) FROM STDIN",
    "COPY api_keys (id, user_id, service_name, role, key_hash, created_at, expires_at, "
    "revoked_at) FROM STDIN",
};

struct pg_sink {
    struct seed_sink base;
    PGconn *conn;
    char buf[COPY_CHUNK + 1024];
    size_t len;
};

static int fail(struct pg_sink *s, const char *what, struct tars_err *err)
{
    char line[TARS_ERR_MSG_MAX];

    tars_strlcpy(line, PQerrorMessage(s->conn), sizeof(line));
    line[strcspn(line, "\n")] = '\0';
    return tars_err_set(err, PQstatus(s->conn) == CONNECTION_OK ? TARS_EIO : TARS_EUNAVAIL,
                        "postgres: %s: %s", what, line);
}

static int flush(struct pg_sink *s, struct tars_err *err)
{
    if (s->len && PQputCopyData(s->conn, s->buf, (int)s->len) != 1)
        return fail(s, "COPY", err);
    s->len = 0;
    return TARS_OK;
}

static void put(struct pg_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct pg_sink *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(s->buf + s->len, sizeof(s->buf) - s->len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(s->buf) - s->len)
        s->len += (size_t)n;
}

/* An integer column or \N, then a tab or the end of the row. */
static void put_int(struct pg_sink *s, bool null, int64_t v, char sep)
{
    if (null)
        put(s, "\\N%c", sep);
    else
        put(s, "%" PRId64 "%c", v, sep);
}

static void put_evaluation(struct pg_sink *s, const struct seed_evaluation *e)
{
    put(s, "%s\t%s\t%s\t%s\t", e->id, e->agent_id, e->region, e->status);
    if (e->has_reward)
        put(s, "%.17g\t", e->reward);
    else
        put(s, "\\N\t");
    put_int(s, e->duration_ms < 0, e->duration_ms, '\t');
    put(s, "%" PRId64 "\t%" PRId64 "\t%" PRId64 "\n", e->created_at, e->updated_at, e->created_at);
}

static void put_mission(struct pg_sink *s, const struct seed_mission *m)
{
    put(s, "%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\n", m->id, m->name, m->status, m->agent_id,
        m->created_at, m->created_at);
}

static void put_api_key(struct pg_sink *s, const struct seed_api_key *k)
{
    put(s, "%s\t%s\t%s\t%s\t%s\t%" PRId64 "\t", k->id, k->user_id, k->service_name, k->role,
        k->key_hash, k->created_at);
    put_int(s, k->expires_at == 0, k->expires_at, '\t');
    put_int(s, k->revoked_at == 0, k->revoked_at, '\n');
}

static int sink_begin(struct seed_sink *base, enum seed_table t, struct tars_err *err)
{
    struct pg_sink *s = (struct pg_sink *)base;
    PGresult *res = PQexec(s->conn, copy_sql[t]);
    int rc = TARS_OK;

    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        rc = fail(s, "COPY", err);
    PQclear(res);
    s->len = 0;
    return rc;
}

static int sink_row(struct seed_sink *base, enum seed_table t, const void *row,
                    struct tars_err *err)
{
    struct pg_sink *s = (struct pg_sink *)base;

    if (t == SEED_EVALUATIONS)
        put_evaluation(s, row);
    else if (t == SEED_MISSIONS)
        put_mission(s, row);
    else
        put_api_key(s, row);
    return s->len >= COPY_CHUNK ? flush(s, err) : TARS_OK;
}

/* Ends the COPY (or aborts it) and reads its outcome. */
static int sink_end(struct seed_sink *base, enum seed_table t, bool ok, struct tars_err *err)
{
    struct pg_sink *s = (struct pg_sink *)base;
    PGresult *res;
    int rc = ok ? flush(s, err) : TARS_OK;
    (void)t;

    if (rc)
        ok = false;
    if (PQputCopyEnd(s->conn, ok ? NULL : "seeding stopped") != 1 && !rc)
        rc = fail(s, "COPY end", err);
    while ((res = PQgetResult(s->conn)) != NULL) {
        if (ok && !rc && PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            rc = tars_err_set(err, TARS_EIO, "postgres: COPY: %s", msg ? msg : "failed");
        }
        PQclear(res);
    }
    return rc;
}

int seed_postgres(tars_store *st, const struct tars_seed_options *o, struct tars_seed_result *out,
                  struct tars_err *err)
{
    struct pg_sink *sink = xcalloc(1, sizeof(*sink)); /* 257 KiB: not on the stack */
    int rc;

    sink->base.begin = sink_begin;
    sink->base.row = sink_row;
    sink->base.end = sink_end;
    sink->conn = st->db->ops->native(st->db);
    rc = seed_run(st, &sink->base, o, out, err);
    if (!rc)
        rc =
            db_exec_script(st->db, "VACUUM (ANALYZE) evaluations, missions, api_keys, agents", err);
    free(sink);
    return rc;
}
