/* Unit tests for the Locust-compatible CSV files: exact headers, rows
 * checked field by field, quoting, N/A. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "result_fixture.h"
#include "tars/load.h"

#define MAX_FIELDS 32
#define MAX_LINES 16

struct csv {
    char lines[MAX_LINES][1024];
    size_t count;
};

/* Reads path into lines (each must end in "\r\n", which is stripped). */
static void read_csv(const char *path, struct csv *c)
{
    FILE *f = fopen(path, "rb");
    char line[1024];

    assert_non_null(f);
    c->count = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        assert_true(n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n');
        line[n - 2] = '\0';
        assert_true(c->count < MAX_LINES);
        snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%s", line);
    }
    fclose(f);
}

/* Splits a CSV line (RFC 4180 quoting) into fields; returns the count. */
static size_t split(const char *line, char fields[MAX_FIELDS][256])
{
    size_t n = 0, len = 0;
    bool quoted = false;

    memset(fields, 0, MAX_FIELDS * 256);
    for (const char *p = line;; p++) {
        if (quoted && *p == '"' && p[1] == '"') {
            fields[n][len++] = *p++;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if ((*p == ',' && !quoted) || !*p) {
            fields[n++][len] = '\0';
            len = 0;
            if (!*p)
                return n;
        } else {
            fields[n][len++] = *p;
        }
        assert_true(n < MAX_FIELDS && len < 255);
    }
}

static void assert_ms_near(const char *field, double ms)
{
    char *end;
    double v = strtod(field, &end);

    assert_true(*field && *end == '\0');
    if (v < ms - 0.0005 - ms * 0.004 || v > ms + 0.0005 + ms * 0.004)
        fail_msg("\"%s\" is not within 0.4 %% of %g ms", field, ms);
}

struct dir {
    char path[64];
    char prefix[96];
};

static void write_result(const struct tars_load_result *r, struct dir *d)
{
    struct tars_err err = TARS_ERR_INIT;

    snprintf(d->path, sizeof(d->path), "/tmp/tars-csv-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->prefix, sizeof(d->prefix), "%s/run", d->path);
    if (tars_load_write_csv(r, d->prefix, &err))
        fail_msg("%s", err.msg);
}

static void remove_dir(struct dir *d)
{
    static const char *const suffixes[] = {"_stats.csv", "_stats_history.csv", "_failures.csv",
                                           "_exceptions.csv"};
    char path[160];

    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s%s", d->prefix, suffixes[i]);
        unlink(path);
    }
    rmdir(d->path);
}

/* agents: 1, 2, 3, 4 ms answered (100 bytes each), one 500; a name with a
 * comma and a quote; a task never sent; 2 s of run. */
static void build(struct tars_load_result *r)
{
    struct tars_load_task_result *a, *q;

    memset(r, 0, sizeof(*r));
    r->duration_ms = 2000;
    fixture_add_task(r, "agents", "GET", "/api/v1/agents");
    fixture_add_task(r, "a,b \"c\"", "POST", "/p");
    fixture_add_task(r, "GET /idle", "GET", "/idle");
    fixture_task(&r->total, "total", "", "");
    a = &r->tasks[0]; /* after the last realloc */
    q = &r->tasks[1];
    for (uint64_t ms = 1; ms <= 4; ms++) {
        fixture_ok(a, ms * 1000000, 100);
        fixture_ok(&r->total, ms * 1000000, 100);
    }
    fixture_fail(a, TARS_LOAD_ERR_STATUS, 500, 5000000);
    fixture_fail(&r->total, TARS_LOAD_ERR_STATUS, 500, 5000000);
    fixture_fail(q, TARS_LOAD_ERR_TIMEOUT, 0, 0);
    fixture_fail(&r->total, TARS_LOAD_ERR_TIMEOUT, 0, 0);
    fixture_second(r, 1767225601000, 7, 4, 1, 2000000, 4000000, 4000000, 5000000);
    fixture_second(r, 1767225602999, 8, 0, 1, 0, 0, 0, 0);
}

static void test_stats_csv(void **state)
{
    struct tars_load_result r;
    struct dir d;
    struct csv c;
    char path[160], f[MAX_FIELDS][256];
    (void)state;

    build(&r);
    write_result(&r, &d);
    snprintf(path, sizeof(path), "%s_stats.csv", d.prefix);
    read_csv(path, &c);
    assert_int_equal(c.count, 5);
    assert_string_equal(c.lines[0],
                        "Type,Name,Request Count,Failure Count,Median Response Time,"
                        "Average Response Time,Min Response Time,Max Response Time,"
                        "Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,"
                        "98%,99%,99.9%,99.99%,100%");
    assert_int_equal(split(c.lines[1], f), 22);
    assert_string_equal(f[0], "GET");
    assert_string_equal(f[1], "agents");
    assert_string_equal(f[2], "5");
    assert_string_equal(f[3], "1");
    assert_ms_near(f[4], 3);        /* median of 1..5 ms */
    assert_string_equal(f[5], "3"); /* mean, exact */
    assert_string_equal(f[6], "1"); /* min, exact */
    assert_string_equal(f[7], "5"); /* max, exact */
    assert_string_equal(f[8], "80");
    assert_string_equal(f[9], "2.5");
    assert_string_equal(f[10], "0.5");
    assert_ms_near(f[11], 3);        /* 50 % */
    assert_ms_near(f[12], 4);        /* 66 %: rank 4 */
    assert_ms_near(f[15], 5);        /* 90 % */
    assert_string_equal(f[21], "5"); /* 100 %: the max, exact */
    assert_int_equal(split(c.lines[2], f), 22);
    assert_string_equal(f[1], "a,b \"c\"");
    assert_non_null(strstr(c.lines[2], "POST,\"a,b \"\"c\"\"\",1,1,"));
    assert_string_equal(f[11], "N/A"); /* never timed */
    assert_string_equal(f[21], "N/A");
    split(c.lines[3], f);
    assert_string_equal(f[1], "/idle"); /* default name shows as the path */
    assert_string_equal(f[2], "0");
    assert_string_equal(f[4], "0");
    assert_string_equal(f[9], "0");
    split(c.lines[4], f);
    assert_string_equal(f[0], "");
    assert_string_equal(f[1], "Aggregated");
    assert_string_equal(f[2], "6");
    assert_string_equal(f[3], "2");
    assert_string_equal(f[9], "3");
    remove_dir(&d);
    tars_load_result_release(&r);
}

/* 14 seconds: second i answered 10 (i + 1) requests, i of them failed, each
 * timed at 2 ms on average, the fastest 1 ms, the slowest i + 1 ms, 100
 * bytes each; then a second with no response. */
static void build_history(struct tars_load_result *r)
{
    build(r);
    free(r->history);
    r->history = NULL;
    r->history_count = 0;
    for (uint64_t i = 0; i < 15; i++) {
        uint64_t n = i < 14 ? 10 * (i + 1) : 0;
        struct tars_load_second *s;
        fixture_second(r, 1767225601000 + (int64_t)i * 1000, 7, n, i < 14 ? i : 0, 1000000, 1000000,
                       1000000, n ? (i + 1) * 1000000 : 0);
        s = &r->history[r->history_count - 1];
        s->timed = n;
        s->sum_ns = n * 2000000;
        s->min_ns = n ? 1000000 : 0;
        s->bytes = n * 100;
        s->cumulative = i >= 13; /* the result's cumulative percentiles, when it has them */
        for (int k = 0; k < 10; k++)
            s->cumulative_ns[k] = (uint64_t)(k + 1) * 1000000;
    }
}

static void test_history_csv(void **state)
{
    struct tars_load_result r;
    struct dir d;
    struct csv c;
    char path[160], f[MAX_FIELDS][256];
    (void)state;

    build_history(&r);
    write_result(&r, &d);
    snprintf(path, sizeof(path), "%s_stats_history.csv", d.prefix);
    read_csv(path, &c);
    assert_int_equal(c.count, 16);
    assert_string_equal(c.lines[0],
                        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,"
                        "90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,"
                        "Total Failure Count,Total Median Response Time,"
                        "Total Average Response Time,Total Min Response Time,"
                        "Total Max Response Time,Total Average Content Size");
    assert_int_equal(split(c.lines[1], f), 24);
    assert_string_equal(f[0], "1767225601");
    assert_string_equal(f[1], "7");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "Aggregated");
    assert_string_equal(f[4], "0"); /* Locust's window has no complete second yet */
    assert_string_equal(f[5], "0");
    for (int k = 6; k < 16; k++)
        assert_string_equal(f[k], "N/A"); /* no cumulative percentiles in the result */
    assert_string_equal(f[16], "1");      /* 100 %: the running maximum */
    assert_string_equal(f[17], "10");
    assert_string_equal(f[18], "0");
    assert_string_equal(f[19], "N/A");
    assert_string_equal(f[20], "2"); /* running average of every timed response */
    assert_string_equal(f[21], "1");
    assert_string_equal(f[22], "1");
    assert_string_equal(f[23], "100");
    split(c.lines[3], f); /* the third second: the window holds the first */
    assert_string_equal(f[4], "10");
    assert_string_equal(f[5], "0");
    split(c.lines[14], f); /* second 13: seconds 2..11, 30..120 requests, 2..11 failures */
    assert_string_equal(f[4], "75");
    assert_string_equal(f[5], "6.5");
    assert_string_equal(f[6], "1");   /* 50 %: of every response so far */
    assert_string_equal(f[11], "6");  /* 95 % */
    assert_string_equal(f[15], "10"); /* 99.99 % */
    assert_string_equal(f[16], "14");
    assert_string_equal(f[17], "1050");
    assert_string_equal(f[18], "91");
    assert_string_equal(f[19], "1"); /* Total Median: the cumulative 50 % */
    split(c.lines[15], f);           /* nothing answered in that second: the totals stand */
    assert_string_equal(f[4], "85"); /* seconds 3..12 */
    assert_string_equal(f[16], "14");
    assert_string_equal(f[17], "1050");
    assert_string_equal(f[20], "2");
    assert_string_equal(f[23], "100");
    remove_dir(&d);
    tars_load_result_release(&r);
}

static void test_exceptions_csv(void **state)
{
    struct tars_load_result r;
    struct dir d;
    struct csv c;
    char path[160];
    (void)state;

    build(&r);
    write_result(&r, &d);
    snprintf(path, sizeof(path), "%s_exceptions.csv", d.prefix);
    read_csv(path, &c);
    assert_int_equal(c.count, 1); /* tars runs no user code that could raise */
    assert_string_equal(c.lines[0], "Count,Message,Traceback,Nodes");
    remove_dir(&d);
    tars_load_result_release(&r);
}

static void test_failures_csv(void **state)
{
    struct tars_load_result r;
    struct dir d;
    struct csv c;
    char path[160];
    (void)state;

    build(&r);
    write_result(&r, &d);
    snprintf(path, sizeof(path), "%s_failures.csv", d.prefix);
    read_csv(path, &c);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.lines[0], "Method,Name,Error,Occurrences");
    assert_string_equal(c.lines[1], "GET,agents,unexpected status 500,1");
    assert_string_equal(c.lines[2],
                        "POST,\"a,b \"\"c\"\"\",timeout: no complete response in time,1");
    remove_dir(&d);
    tars_load_result_release(&r);
}

static void test_unwritable_prefix(void **state)
{
    struct tars_load_result r;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    build(&r);
    assert_int_equal(tars_load_write_csv(&r, "/nonexistent/dir/run", &err), TARS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/run_stats.csv"));
    tars_load_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_csv),         cmocka_unit_test(test_history_csv),
        cmocka_unit_test(test_exceptions_csv),    cmocka_unit_test(test_failures_csv),
        cmocka_unit_test(test_unwritable_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
