/*
 * Data integrity across an upgrade or a rollback: per table, the number of
 * rows and an order-independent checksum of the columns that identify a row
 * and never change (id, owner, creation time), over the rows that existed at
 * a cutoff. A later snapshot taken with the same cutoffs must find the same
 * rows: rows added since are outside the cutoff, so traffic during the
 * release does not count as a difference, and a lost or rewritten row does.
 *
 * Checksum: the sum modulo 2^64 of the first 8 bytes of SHA-256 over each
 * row's key columns (as text, separated by 0x1f). Sums do not depend on row
 * order and differ, except with negligible probability, when any row does.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/store_integrity.h"

struct integrity_table {
    const char *name;
    const char *columns;       /* key columns, in SELECT order */
    const char *cutoff_column; /* rows with this <= cutoff; NULL: all rows */
};

/* The tables a release must not lose. Logs and samples that grow by design
 * (audit_logs, metrics, telemetry, training_steps) are left out. */
static const struct integrity_table tables[] = {
    {"users", "id, username, created_at", "created_at"},
    {"api_keys", "id, service_name, created_at", "created_at"},
    {"agents", "id, type", NULL},
    {"agent_states", "id, agent_id, episode, step", "id"},
    {"evaluations", "id, agent_id, region, created_at", "created_at"},
    {"missions", "id, name, created_at", "created_at"},
};

struct sum {
    uint64_t rows, checksum;
    int64_t max_cutoff; /* the largest cutoff column value seen */
    int cutoff_index;   /* which column holds it, -1: none */
};

static int add_row(void *ctx, int ncols, const char *const *names, const char *const *values)
{
    struct sum *s = ctx;
    char row[4096];
    uint8_t digest[TARS_SHA256_LEN];
    uint64_t h = 0;
    size_t used = 0;

    (void)names;
    for (int i = 0; i < ncols; i++) {
        const char *v = values[i] ? values[i] : "\x01NULL";
        int n = snprintf(row + used, sizeof(row) - used, "%s%s", i ? "\x1f" : "", v);
        if (n < 0 || (size_t)n >= sizeof(row) - used)
            break;
        used += (size_t)n;
    }
    tars_sha256(row, used, digest);
    for (int i = 0; i < 8; i++)
        h = h << 8 | digest[i];
    s->checksum += h;
    s->rows++;
    if (s->cutoff_index >= 0 && values[s->cutoff_index]) {
        long long v = strtoll(values[s->cutoff_index], NULL, 10);
        if (v > s->max_cutoff)
            s->max_cutoff = v;
    }
    return 0;
}

static int cutoff_position(const struct integrity_table *t)
{
    const char *p = t->columns;
    int i = 0;

    if (!t->cutoff_column)
        return -1;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *start = p;
        while (*start == ' ')
            start++, len--;
        if (len == strlen(t->cutoff_column) && strncmp(start, t->cutoff_column, len) == 0)
            return i;
        if (!p[strcspn(p, ",")])
            return -1;
        p += strcspn(p, ",") + 1;
        i++;
    }
}

/* One table: the rows up to cutoff when limited, else every row (and the
 * cutoff recorded is the largest seen, -1 for an empty table). */
static int sum_table(tars_store *st, const struct integrity_table *t, bool limited, int64_t cutoff,
                     json_t *out, struct tars_err *err)
{
    struct sum s = {0, 0, -1, cutoff_position(t)};
    char sql[512], hex[17];
    bool truncated = false;
    int rc;

    if (t->cutoff_column && limited)
        snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE %s <= %" PRId64, t->columns, t->name,
                 t->cutoff_column, cutoff);
    else
        snprintf(sql, sizeof(sql), "SELECT %s FROM %s", t->columns, t->name);
    rc = tars_store_query(st, sql, SIZE_MAX, add_row, &s, &truncated, err);
    if (rc != TARS_OK)
        return rc;
    snprintf(hex, sizeof(hex), "%016" PRIx64, s.checksum);
    json_object_set_new(out, t->name,
                        json_pack("{s:I,s:s,s:s}", "rows", (json_int_t)s.rows, "checksum", hex,
                                  "columns", t->columns));
    if (t->cutoff_column)
        json_object_set_new(json_object_get(out, t->name), "cutoff",
                            json_integer(limited ? cutoff : s.max_cutoff));
    return TARS_OK;
}

int tars_store_integrity(tars_store *st, json_t *cutoffs_from, json_t **out, struct tars_err *err)
{
    char now[TARS_ISO8601_LEN];
    json_t *result = json_object();
    int rc = TARS_OK;

    for (size_t i = 0; rc == TARS_OK && i < sizeof(tables) / sizeof(tables[0]); i++) {
        json_t *before = json_object_get(json_object_get(cutoffs_from, "tables"), tables[i].name);
        json_t *cut = json_object_get(before, "cutoff");
        rc = sum_table(st, &tables[i], json_is_integer(cut), json_integer_value(cut), result, err);
    }
    if (rc != TARS_OK) {
        json_decref(result);
        return rc;
    }
    tars_iso8601(tars_wall_ms(), now);
    *out = json_pack("{s:s,s:s,s:o}", "format", TARS_STORE_INTEGRITY_FORMAT, "taken_at", now,
                     "tables", result);
    return *out ? TARS_OK : tars_err_set(err, TARS_EINTERNAL, "out of memory");
}

json_t *tars_store_integrity_compare(json_t *before, json_t *after)
{
    json_t *differences = json_array(), *b, *a;
    const char *name;

    json_object_foreach(json_object_get(before, "tables"), name, b) {
        a = json_object_get(json_object_get(after, "tables"), name);
        json_int_t br = json_integer_value(json_object_get(b, "rows"));
        json_int_t ar = json_integer_value(json_object_get(a, "rows"));
        if (!a)
            json_array_append_new(differences, json_sprintf("%s: table missing", name));
        else if (ar != br)
            json_array_append_new(differences,
                                  json_sprintf("%s: %lld rows before, %lld after (same cutoff)",
                                               name, (long long)br, (long long)ar));
        else if (!json_equal(json_object_get(a, "checksum"), json_object_get(b, "checksum")))
            json_array_append_new(differences,
                                  json_sprintf("%s: same %lld rows, but their key columns changed",
                                               name, (long long)br));
    }
    return differences;
}
