/*
 * Reading query plans: does the query reach its table through one of the
 * indexes that serve it, without reading the whole table?
 *
 * SQLite's EXPLAIN QUERY PLAN says "SEARCH t USING [COVERING] INDEX i (...)"
 * for a lookup or range through an index and "SCAN t [USING ... INDEX i]"
 * for a walk over all of t (through an index or not). Versions before 3.36
 * write "SEARCH TABLE t" / "SCAN TABLE t"; both forms are read.
 *
 * PostgreSQL's EXPLAIN (FORMAT JSON) is a tree of nodes with "Node Type",
 * "Relation Name", "Index Name" and child "Plans"; Seq Scan (also Parallel
 * Seq Scan) reads the whole relation.
 */
#include <stdio.h>
#include <string.h>

#include "bench_int.h"
#include "tars/json.h"
#include "tars/str.h"

#define PLAN_MAX_DEPTH 64

struct plan_look {
    const char *table;
    const char *const *expected;
    bool full_scan;
    bool expected_index;
    struct tars_bench_plan *out;
};

static bool is_expected(const char *const *expected, const char *name, size_t len)
{
    for (size_t i = 0; expected && expected[i]; i++)
        if (strlen(expected[i]) == len && strncmp(expected[i], name, len) == 0)
            return true;
    return false;
}

static void detail_add(struct tars_bench_plan *p, const char *text, size_t len)
{
    size_t used = strlen(p->detail);

    snprintf(p->detail + used, sizeof(p->detail) - used, "%s%.*s", used ? "; " : "", (int)len,
             text);
}

static void note_index(struct plan_look *look, const char *name, size_t len)
{
    if (!look->out->index[0] && len < sizeof(look->out->index)) {
        memcpy(look->out->index, name, len);
        look->out->index[len] = '\0';
    }
    if (is_expected(look->expected, name, len))
        look->expected_index = true;
}

static void finish(struct plan_look *look)
{
    look->out->uses_index = look->expected_index && !look->full_scan;
}

static void plan_init(struct tars_bench_plan *out, const char *table)
{
    memset(out, 0, sizeof(*out));
    tars_strlcpy(out->table, table, sizeof(out->table));
}

/* ---- SQLite ---- */

/* The table a SEARCH/SCAN line names, after its verb. */
static size_t table_word(const char **p)
{
    if (tars_str_has_prefix(*p, "TABLE "))
        *p += strlen("TABLE ");
    return strcspn(*p, " ");
}

static void sqlite_using(struct plan_look *look, const char *rest)
{
    const char *using = strstr(rest, " USING ");

    if (!using)
        return;
    using += strlen(" USING ");
    if (tars_str_has_prefix(using, "AUTOMATIC "))
        return; /* built for this query alone: a scan in disguise */
    if (tars_str_has_prefix(using, "COVERING "))
        using += strlen("COVERING ");
    if (tars_str_has_prefix(using, "INDEX "))
        using += strlen("INDEX ");
    else if (tars_str_has_prefix(using, "INTEGER PRIMARY KEY"))
        using = "PRIMARY KEY";
    note_index(look, using, strcspn(using, " "));
}

static void sqlite_line(struct plan_look *look, const char *line, size_t len)
{
    char text[512];
    const char *p = text;
    bool search;
    size_t n;

    snprintf(text, sizeof(text), "%.*s", (int)len, line);
    while (*p == ' ')
        p++;
    search = tars_str_has_prefix(p, "SEARCH ");
    if (!search && !tars_str_has_prefix(p, "SCAN "))
        return;
    p += search ? strlen("SEARCH ") : strlen("SCAN ");
    n = table_word(&p);
    if (n != strlen(look->table) || strncmp(p, look->table, n) != 0)
        return;
    if (!search)
        look->full_scan = true;
    else
        sqlite_using(look, p + n);
}

void tars_bench_plan_sqlite(const char *table, const char *const *expected, const char *lines,
                            struct tars_bench_plan *out)
{
    struct plan_look look = {table, expected, false, false, out};
    const char *p = lines ? lines : "";

    plan_init(out, table);
    while (*p) {
        size_t len = strcspn(p, "\n");
        if (len) {
            sqlite_line(&look, p, len);
            detail_add(out, p, len);
        }
        p += len + (p[len] == '\n');
    }
    finish(&look);
}

/* ---- PostgreSQL ---- */

static const char *node_string(json_t *node, const char *key)
{
    const char *s = json_string_value(json_object_get(node, key));
    return s ? s : "";
}

/* "Index Scan using idx on evaluations", "Seq Scan on evaluations", "Sort". */
static void pg_describe(struct tars_bench_plan *out, const char *type, const char *index,
                        const char *relation)
{
    char text[256];
    int n = snprintf(text, sizeof(text), "%s", type);

    if (*index && n > 0 && (size_t)n < sizeof(text))
        n += snprintf(text + n, sizeof(text) - (size_t)n, " using %s", index);
    if (*relation && n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, " on %s", relation);
    detail_add(out, text, strlen(text));
}

static bool is_index_node(const char *type)
{
    return strcmp(type, "Index Scan") == 0 || strcmp(type, "Index Only Scan") == 0 ||
           strcmp(type, "Bitmap Index Scan") == 0;
}

static int pg_node(struct plan_look *look, json_t *node, int depth, struct tars_err *err)
{
    const char *type, *index, *relation;
    json_t *children, *child;
    size_t i;

    if (!json_is_object(node) || depth > PLAN_MAX_DEPTH)
        return tars_err_set(err, TARS_EINVAL, "plan node is not an object (or nests too deep)");
    type = node_string(node, "Node Type");
    index = node_string(node, "Index Name");
    relation = node_string(node, "Relation Name");
    pg_describe(look->out, type, index, relation);
    if (strstr(type, "Seq Scan") && strcmp(relation, look->table) == 0)
        look->full_scan = true;
    if (is_index_node(type) && *index)
        note_index(look, index, strlen(index));
    children = json_object_get(node, "Plans");
    json_array_foreach(children, i, child) {
        int rc = pg_node(look, child, depth + 1, err);
        if (rc)
            return rc;
    }
    return TARS_OK;
}

int tars_bench_plan_postgres(const char *table, const char *const *expected, const char *json,
                             struct tars_bench_plan *out, struct tars_err *err)
{
    struct plan_look look = {table, expected, false, false, out};
    json_t *root = NULL, *plan;
    int rc;

    plan_init(out, table);
    rc = tars_json_parse(json ? json : "", json ? strlen(json) : 0, &root, err);
    if (rc)
        return rc;
    plan = json_object_get(json_array_get(root, 0), "Plan");
    if (!plan)
        rc = tars_err_set(err, TARS_EINVAL, "EXPLAIN output has no [{\"Plan\": ...}]");
    else
        rc = pg_node(&look, plan, 0, err);
    json_decref(root);
    if (!rc)
        finish(&look);
    return rc;
}
