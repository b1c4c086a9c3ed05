/*
 * The database check type, on PostgreSQL or SQLite (url, else
 * targets.database.url: sqlite:PATH or postgres://...). Every statement runs
 * through tars_store_query: read-only (PostgreSQL: in a READ ONLY
 * transaction; SQLite: statements that could write are refused).
 *
 *   check: query          `sql` returns at least min_rows rows (default 1);
 *                         or, with op and value, its one row's value (the
 *                         first column, or `column`) meets the condition.
 *                         No rows is "no data" (on_empty).
 *   check: indexes_exist  every index in `names` exists; on PostgreSQL it
 *                         must also be valid and ready (pg_index)
 *   check: explain        PostgreSQL: EXPLAIN (ANALYZE, FORMAT JSON) `sql`:
 *                         the median Execution Time of `samples` runs
 *                         (default 3, at most 100) below max_ms (default 100) and,
 *                         with index_scan: true, an Index Scan, Index Only
 *                         Scan or Bitmap Index Scan node in the plan (of
 *                         `index`, when named). SQLite: EXPLAIN QUERY PLAN
 *                         must show USING INDEX or USING COVERING INDEX
 *                         (index_scan defaults to true here: the plan is the
 *                         evidence) and the query itself, timed `samples`
 *                         times, must run below max_ms at the median.
 *
 * On PostgreSQL the connection gets connect_timeout and statement_timeout
 * from the check's remaining time, so a slow server cannot hold the check
 * past its deadline. The URL's password never appears in a message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http_int.h"
#include "core/misc_int.h"
#include "tars/alloc.h"
#include "tars/buf.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/store.h"
#include "tars/judge.h"
#include "tars/str.h"

#define DB_URL_MAX 4096
#define SQL_MAX (64 * 1024)
#define QUERY_MAX_ROWS 10000
#define INDEX_MAX_ROWS 20000
#define TIMED_MAX_ROWS 1000000
#define PLAN_MAX (4 * 1024 * 1024)
#define PLAN_DEPTH_MAX 64
#define VALUE_MAX 256
#define DEFAULT_MAX_MS 100.0
#define DEFAULT_SAMPLES 3
#define MAX_SAMPLES 100

static const char *const database_kinds[] = {"query", "indexes_exist", "explain", NULL};

struct db_check {
    const struct tars_check_ctx *ctx;
    struct tars_check_result *out;
    tars_store *st;
    bool postgres;
    const char *sql;
};

/* ---- connecting ---- */

/* The URL with connect_timeout and statement_timeout set from the time
 * left (unless the URL sets its own options). */
static bool postgres_url(const struct tars_check_ctx *ctx, const char *url, char *out, size_t size)
{
    int64_t left = misc_ms_left(ctx);
    long long connect_s = left / 1000 > 1 ? left / 1000 : 1;
    long long statement_ms = left > 200 ? left - 100 : 100;
    char sep = strchr(url, '?') ? '&' : '?';
    int n;

    if (strstr(url, "options="))
        n = snprintf(out, size, "%s%cconnect_timeout=%lld", url, sep, connect_s);
    else
        n = snprintf(out, size, "%s%cconnect_timeout=%lld&options=-c%%20statement_timeout%%3D%lld",
                     url, sep, connect_s, statement_ms);
    return n > 0 && (size_t)n < size;
}

static const char *sqlite_path(const char *url)
{
    if (tars_str_has_prefix(url, "sqlite://"))
        return url + 9;
    if (tars_str_has_prefix(url, "sqlite:"))
        return url + 7;
    return strstr(url, "://") ? NULL : url;
}

/* Opens the store; false with out filled when it cannot. */
static bool db_connect(struct db_check *d, const char *url)
{
    struct tars_err err = TARS_ERR_INIT;
    char *full = xmalloc(DB_URL_MAX), shown[MISC_URL_SHOWN_MAX];
    const char *path = sqlite_path(url);

    misc_safe_url(url, shown, sizeof(shown));
    d->postgres = !path;
    if (path && access(path, F_OK) != 0)
        tars_check_error(d->out, false, "database file \"%s\" does not exist", path);
    else if (!path && !postgres_url(d->ctx, url, full, DB_URL_MAX))
        tars_check_error(d->out, false, "database url too long");
    else if (!(d->st = tars_store_open(path ? url : full, &err)))
        tars_check_error(d->out, err.code == TARS_EUNAVAIL, "database %s: %s", shown, err.msg);
    explicit_bzero(full, DB_URL_MAX);
    free(full);
    return d->st != NULL;
}

/* A failed statement: unreachable is transient, anything else is not. */
static void query_failed(struct db_check *d, const char *what, const struct tars_err *err)
{
    tars_check_error(d->out, err->code == TARS_EUNAVAIL, "%s: %s", what, err->msg);
}

/* ---- check: query ---- */

struct query_rows {
    size_t count;
    const char *column; /* NULL: the first */
    bool found;         /* the column exists */
    bool is_null;
    char value[VALUE_MAX];
};

static int collect_first(void *ctx, int ncols, const char *const *names, const char *const *values)
{
    struct query_rows *q = ctx;

    if (q->count++ > 0)
        return 0;
    for (int i = 0; i < ncols; i++) {
        if (q->column && strcmp(names[i], q->column) != 0)
            continue;
        q->found = true;
        q->is_null = values[i] == NULL;
        tars_strlcpy(q->value, values[i] ? values[i] : "", sizeof(q->value));
        break;
    }
    return 0;
}

/* The one value against op/value. */
static void judge_value(struct db_check *d, const char *value)
{
    json_t *want = json_object_get(d->ctx->params, "value");
    const char *op_text = tars_check_param_str(d->ctx, "op", "==");
    double want_n, got;
    int op = 0;

    (void)tars_judge_op_parse(op_text, &op);
    if (check_json_number(want, &want_n)) {
        char *end;
        got = strtod(value, &end);
        if (end != value && *end == '\0' && !isfinite(got))
            tars_check_error(d->out, false, "value %.80s is not finite: %s %.15g cannot be judged",
                             value, op_text, want_n);
        else if (tars_parse_double(value, &got))
            tars_check_fail(d->out, "value \"%.80s\" is not a number", value);
        else if (tars_judge(got, op, want_n) == TARS_JUDGE_PASS)
            tars_check_pass(d->out, "value %.15g %s %.15g", got, op_text, want_n);
        else
            tars_check_fail(d->out, "value %.15g, expected %s %.15g", got, op_text, want_n);
        return;
    }
    if ((strcmp(value, json_string_value(want)) == 0) == (strcmp(op_text, "==") == 0))
        tars_check_pass(d->out, "value \"%.80s\" %s \"%.80s\"", value, op_text,
                        json_string_value(want));
    else
        tars_check_fail(d->out, "value \"%.80s\", expected %s \"%.80s\"", value, op_text,
                        json_string_value(want));
}

static void check_query(struct db_check *d)
{
    struct query_rows q = {0};
    struct tars_err err = TARS_ERR_INIT;
    bool truncated = false;
    double min_rows;

    q.column = tars_check_param_str(d->ctx, "column", NULL);
    if (tars_store_query(d->st, d->sql, QUERY_MAX_ROWS, collect_first, &q, &truncated, &err)) {
        query_failed(d, "query", &err);
        return;
    }
    (void)misc_number(d->ctx->params, "min_rows", 1, &min_rows);
    if (q.count == 0)
        tars_check_empty(d->ctx, d->out, "the query returned no rows");
    else if (!json_object_get(d->ctx->params, "op") && (double)q.count < min_rows)
        tars_check_fail(d->out, "the query returned %zu rows, expected at least %.0f", q.count,
                        min_rows);
    else if (!json_object_get(d->ctx->params, "op"))
        tars_check_pass(d->out, "the query returned %zu%s rows", q.count, truncated ? "+" : "");
    else if (q.count > 1)
        tars_check_error(d->out, false, "the query returned %zu%s rows; a condition needs one",
                         q.count, truncated ? "+" : "");
    else if (!q.found)
        tars_check_error(d->out, false, "the query has no column \"%.64s\"", q.column);
    else if (q.is_null)
        tars_check_empty(d->ctx, d->out, "the value is NULL");
    else
        judge_value(d, q.value);
}

/* ---- check: indexes_exist ---- */

/* name → true (valid) / false, in a JSON object. */
static int collect_index(void *ctx, int ncols, const char *const *names, const char *const *values)
{
    (void)names;
    if (ncols >= 2 && values[0])
        json_object_set_new(ctx, values[0], json_boolean(values[1] && !strcmp(values[1], "true")));
    return 0;
}

static void check_indexes(struct db_check *d)
{
    json_t *wanted = json_object_get(d->ctx->params, "names"), *found = json_object(), *v;
    struct tars_err err = TARS_ERR_INIT;
    char missing[300] = "", invalid[200] = "";
    size_t i, n_missing = 0, n_invalid = 0;
    bool truncated = false;

    if (tars_store_indexes(d->st, INDEX_MAX_ROWS, collect_index, found, &truncated, &err)) {
        query_failed(d, "listing indexes", &err);
        goto out;
    }
    json_array_foreach(wanted, i, v) {
        json_t *state = json_object_get(found, json_string_value(v));
        if (!state) {
            n_missing++;
            misc_list_add(missing, sizeof(missing), json_string_value(v));
        } else if (!json_is_true(state)) {
            n_invalid++;
            misc_list_add(invalid, sizeof(invalid), json_string_value(v));
        }
    }
    if (n_missing && n_invalid)
        tars_check_fail(d->out, "%zu of %zu indexes missing: %s; %zu invalid: %s", n_missing,
                        json_array_size(wanted), missing, n_invalid, invalid);
    else if (n_missing)
        tars_check_fail(d->out, "%zu of %zu indexes missing: %s", n_missing,
                        json_array_size(wanted), missing);
    else if (n_invalid)
        tars_check_fail(d->out, "%zu of %zu indexes invalid (not indisvalid and indisready): %s",
                        n_invalid, json_array_size(wanted), invalid);
    else
        tars_check_pass(d->out, "all %zu indexes exist%s", json_array_size(wanted),
                        d->postgres ? " and are valid" : "");
out:
    json_decref(found);
}

/* ---- check: explain ---- */

struct plan_look {
    const char *index; /* the index that must be used, or NULL */
    bool index_scan;   /* an index node seen (of `index`, when named) */
    char nodes[200];   /* node types, in order */
    char used[160];    /* "Index Scan using idx_x", ... */
};

static bool is_index_node(const char *type)
{
    return !strcmp(type, "Index Scan") || !strcmp(type, "Index Only Scan") ||
           !strcmp(type, "Bitmap Index Scan");
}

static void walk_plan(json_t *node, int depth, struct plan_look *look)
{
    const char *type = json_string_value(json_object_get(node, "Node Type"));
    const char *index = json_string_value(json_object_get(node, "Index Name"));
    json_t *child;
    size_t i;
    char item[160];

    if (!type || depth > PLAN_DEPTH_MAX)
        return;
    if (is_index_node(type)) {
        snprintf(item, sizeof(item), "%s using %.100s", type, index ? index : "?");
        misc_list_add(look->nodes, sizeof(look->nodes), item);
        misc_list_add(look->used, sizeof(look->used), item);
        if (!look->index || (index && strcmp(index, look->index) == 0))
            look->index_scan = true;
    } else {
        misc_list_add(look->nodes, sizeof(look->nodes), type);
    }
    json_array_foreach(json_object_get(node, "Plans"), i, child)
        walk_plan(child, depth + 1, look);
}

static int collect_plan(void *ctx, int ncols, const char *const *names, const char *const *values)
{
    struct tars_buf *b = ctx;

    (void)names;
    if (ncols < 1 || !values[0])
        return 0;
    /* PostgreSQL: one row holding the JSON; SQLite: a row per plan step,
     * "detail" last. */
    if (b->len && tars_buf_puts(b, "; "))
        return TARS_ETOOBIG;
    return tars_buf_puts(b, values[ncols - 1]) ? TARS_ETOOBIG : 0;
}

/* Runs the backend's EXPLAIN of the check's sql and collects its plan text
 * into b. */
static bool fetch_plan(struct db_check *d, struct tars_buf *b)
{
    struct tars_err err = TARS_ERR_INIT;

    if (tars_store_explain(d->st, d->sql, 1000, collect_plan, b, &err)) {
        query_failed(d, "explain", &err);
        return false;
    }
    return true;
}

static void judge_plan(struct db_check *d, double *ms, int n, bool want_index,
                       const struct plan_look *look)
{
    double max_ms, median = http_percentile(ms, (size_t)n, 50); /* sorts ms */
    char runs[96] = "";

    (void)misc_number(d->ctx->params, "max_ms", DEFAULT_MAX_MS, &max_ms);
    if (n > 1)
        snprintf(runs, sizeof(runs), " (median of %d runs, %.3f to %.3f ms)", n, ms[0], ms[n - 1]);
    if (median >= max_ms)
        tars_check_fail(d->out, "execution %.3f ms%s, expected below %g ms (plan: %s)", median,
                        runs, max_ms, look->nodes);
    else if (want_index && !look->index_scan && look->index)
        tars_check_fail(d->out, "the plan does not use index \"%.80s\" (plan: %s)", look->index,
                        look->nodes);
    else if (want_index && !look->index_scan)
        tars_check_fail(d->out, "the plan uses no index (plan: %s)", look->nodes);
    else
        tars_check_pass(d->out, "execution %.3f ms%s < %g ms; %s", median, runs, max_ms,
                        look->used[0] ? look->used : "no index needed");
}

/* One EXPLAIN ANALYZE: its execution time, and the plan's nodes into look (when given). */
static bool explain_postgres_once(struct db_check *d, struct plan_look *look, double *ms)
{
    struct tars_buf b = TARS_BUF_INIT(PLAN_MAX);
    struct tars_err err = TARS_ERR_INIT;
    json_t *doc = NULL, *top;
    bool ok = false;

    if (!fetch_plan(d, &b))
        goto out;
    if (!b.data || tars_json_parse(b.data, b.len, &doc, &err)) {
        tars_check_error(d->out, false, "explain: the plan is not JSON");
        goto out;
    }
    top = json_array_get(doc, 0);
    if (!check_json_number(json_object_get(top, "Execution Time"), ms)) {
        tars_check_error(d->out, false, "explain: the plan has no \"Execution Time\"");
        goto out;
    }
    if (look)
        walk_plan(json_object_get(top, "Plan"), 0, look);
    ok = true;
out:
    json_decref(doc);
    tars_buf_release(&b);
    return ok;
}

static void explain_postgres(struct db_check *d, struct plan_look *look, bool want_index, int n)
{
    double ms[MAX_SAMPLES];

    for (int i = 0; i < n; i++)
        if (!explain_postgres_once(d, i == 0 ? look : NULL, &ms[i]))
            return;
    judge_plan(d, ms, n, want_index, look);
}

/* SQLite's plan names indexes in "USING [COVERING] INDEX name". */
static void scan_sqlite_plan(const char *plan, struct plan_look *look)
{
    static const char *const marks[] = {"USING COVERING INDEX ", "USING INDEX ", NULL};
    static const char *const shown[] = {"covering index", "index", NULL};
    char item[160];

    tars_strlcpy(look->nodes, plan, sizeof(look->nodes));
    for (size_t m = 0; marks[m]; m++) {
        const char *p = plan;
        while ((p = strstr(p, marks[m])) != NULL) {
            size_t len;
            p += strlen(marks[m]);
            len = strcspn(p, " ;()");
            snprintf(item, sizeof(item), "%s %.*s", shown[m], (int)(len < 100 ? len : 100), p);
            misc_list_add(look->used, sizeof(look->used), item);
            if (!look->index || (len == strlen(look->index) && !strncmp(p, look->index, len)))
                look->index_scan = true;
        }
    }
}

static void explain_sqlite(struct db_check *d, struct plan_look *look, bool want_index, int n)
{
    struct tars_buf b = TARS_BUF_INIT(PLAN_MAX);
    struct tars_err err = TARS_ERR_INIT;
    double ms[MAX_SAMPLES];

    if (!fetch_plan(d, &b))
        goto out;
    scan_sqlite_plan(b.data ? b.data : "", look);
    for (int i = 0; i < n; i++) {
        uint64_t start = tars_mono_ns();
        if (tars_store_query(d->st, d->sql, TIMED_MAX_ROWS, NULL, NULL, NULL, &err)) {
            query_failed(d, "query", &err);
            goto out;
        }
        ms[i] = (double)(tars_mono_ns() - start) / 1e6;
    }
    judge_plan(d, ms, n, want_index, look);
out:
    tars_buf_release(&b);
}

static void check_explain(struct db_check *d)
{
    struct plan_look look;
    bool want_index;
    double samples;

    memset(&look, 0, sizeof(look));
    look.index = tars_check_param_str(d->ctx, "index", NULL);
    (void)misc_bool(d->ctx->params, "index_scan", !d->postgres || look.index, &want_index);
    (void)misc_number(d->ctx->params, "samples", DEFAULT_SAMPLES, &samples);
    if (d->postgres)
        explain_postgres(d, &look, want_index, (int)samples);
    else
        explain_sqlite(d, &look, want_index, (int)samples);
}

/* ---- the type ---- */

static void database_run(const struct tars_check_ctx *ctx, struct tars_check_result *out)
{
    const char *kind = tars_check_param_str(ctx, "check", "");
    const char *url = tars_check_target_str(ctx, "database", "url");
    struct db_check d = {ctx, out, NULL, false, tars_check_param_str(ctx, "sql", NULL)};

    if (!url || !*url) {
        tars_check_error(out, false, "no database URL (url, or targets.database.url)");
        return;
    }
    if (!db_connect(&d, url))
        return;
    if (strcmp(kind, "query") == 0)
        check_query(&d);
    else if (strcmp(kind, "indexes_exist") == 0)
        check_indexes(&d);
    else
        check_explain(&d);
    tars_store_close(d.st);
}

/* op and value go together; a text value is compared with == or != only. */
static int condition_read(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const ops[] = {"<", "<=", ">", ">=", "==", "!=", NULL};
    json_t *value = json_object_get(params, "value");
    double n;
    int op = 0, rc;

    if (!json_object_get(params, "op") && !value)
        return TARS_OK;
    if ((rc = tars_json_get_enum(rd, params, "op", TARS_JSON_REQUIRED, ops, &op)) ||
        !tars_json_member(rd, params, "value", TARS_JSON_REQUIRED, &rc))
        return rc;
    if (op < 4 && (rc = tars_json_double_of(rd, value, "value", -HUGE_VAL, HUGE_VAL, &n)))
        return rc;
    if (!json_is_string(value) && !json_is_number(value))
        return tars_json_fail(rd, value, TARS_EINVAL, "value must be a number or text, not %s",
                              tars_json_kind(value));
    return TARS_OK;
}

static int database_read_params(const struct tars_json_reader *rd, json_t *params)
{
    static const char *const numbers[] = {"max_ms", "min_rows", NULL};
    static const char *const booleans[] = {"index_scan", NULL};
    static const char *const texts[] = {"url", "column", "index", NULL};
    static const struct misc_params shapes = {
        .kinds = database_kinds, .numbers = numbers, .booleans = booleans, .texts = texts};
    const char *sql = NULL;
    json_t *names;
    int64_t samples;
    int rc;

    if ((rc = misc_read_params(rd, params, &shapes)) ||
        (rc = tars_json_get_int(rd, params, "samples", TARS_JSON_OPTIONAL, 1, MAX_SAMPLES,
                                &samples)))
        return rc;
    if (strcmp(json_string_value(json_object_get(params, "check")), "indexes_exist") == 0)
        rc = tars_json_get_strings(rd, params, "names", TARS_JSON_REQUIRED, 1, SIZE_MAX,
                                   MISC_TEXT_MAX, &names);
    else
        rc = tars_json_get_string(rd, params, "sql", TARS_JSON_REQUIRED, SQL_MAX, &sql);
    return rc ? rc : condition_read(rd, params);
}

static const char *const database_params[] = {"check",  "url",      "sql",   "op",     "value",
                                              "column", "min_rows", "names", "max_ms", "index_scan",
                                              "index",  "samples",  NULL};
static const char *const database_required[] = {"check", NULL};

const struct tars_check_type tars_check_database = {
    .name = "database",
    .category_hint = "database",
    .params = database_params,
    .required = database_required,
    .read_params = database_read_params,
    .run = database_run,
};
