/* Unit tests for journeys in scenario files: the rows a journey becomes,
 * its variables, the escapes of ${name} by place, the errors (file:line:col),
 * and the HTTP parser's capture of a header for `extract: {header: ...}`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "load_int.h"
#include "scenario_int.h"
#include "tars/buf.h"
#include "tars/http.h"
#include "tars/load.h"

#define HEAD "base_url: http://h:1\nusers: 1\n"
#define TASK_X "tasks:\n  - path: /x\n"

static const char *const journey_yaml = HEAD "tasks:\n"
                                             "  - path: /plain\n"
                                             "  - name: status\n"
                                             "    weight: 3\n"
                                             "    steps:\n"
                                             "      - name: list\n"
                                             "        path: /agents\n"
                                             "        extract:\n"
                                             "          id: agents[0].id\n"
                                             "          ids: {json: \"agents[*].id\"}\n"
                                             "          loc: {header: Location}\n"
                                             "          tag: {regex: 'tag=([a-z]+)'}\n"
                                             "      - name: open\n"
                                             "        path: /agents/${id}?u=${user}\n"
                                             "        headers: {X-Loc: \"${loc}\"}\n"
                                             "        body: {who: \"${tag}\", n: 1}\n"
                                             "        think: between(10ms, 20ms)\n"
                                             "        probability: 0.5\n"
                                             "      - name: each\n"
                                             "        path: /agents/${one}\n"
                                             "        loop: {over: ids, as: one, max: 3}\n";

static int load(const char *text, struct tars_load_scenario *s, struct tars_err *err)
{
    return scenario_load_string("t.yaml", text, s, err);
}

static void test_rows_and_variables(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    const struct tars_load_task *row, *open, *each;

    (void)state;
    if (load(journey_yaml, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.task_count, 5); /* plain + journey row + 3 steps */
    assert_int_equal(s.tasks[0].kind, TARS_LOAD_TASK_REQUEST);
    row = &s.tasks[1];
    assert_int_equal(row->kind, TARS_LOAD_TASK_JOURNEY);
    assert_string_equal(row->name, "status");
    assert_int_equal(row->weight, 3);
    assert_int_equal(row->step_count, 3);
    assert_int_equal(row->var_count, 6); /* user id ids loc tag one */
    assert_string_equal(row->var_names[0], "user");
    open = &s.tasks[3];
    each = &s.tasks[4];
    assert_string_equal(s.tasks[2].name, "status/list");
    assert_string_equal(s.tasks[2].step_name, "list");
    assert_int_equal(s.tasks[2].extract_count, 4);
    assert_true(s.tasks[2].extracts[1].list);
    assert_string_equal(s.tasks[2].extracts[1].expr, "agents");
    assert_string_equal(s.tasks[2].extracts[1].list_suffix, ".id");
    assert_int_equal(s.tasks[2].extracts[2].kind, TARS_LOAD_EXTRACT_HEADER);
    assert_int_equal(s.tasks[2].extracts[3].kind, TARS_LOAD_EXTRACT_REGEX);
    assert_string_equal(open->name, "status/open");
    assert_int_equal(open->kind, TARS_LOAD_TASK_STEP);
    assert_int_equal(open->journey, 1);
    assert_true(open->probability == 0.5);
    assert_int_equal(open->think_min_ms, 10);
    assert_int_equal(open->think_max_ms, 20);
    assert_true(each->loop);
    assert_int_equal(each->loop_max, 3);
    assert_string_equal(row->var_names[each->loop_over], "ids");
    assert_string_equal(row->var_names[each->loop_as], "one");
    assert_int_equal(each->weight, 0); /* never picked alone */
    tars_load_scenario_release(&s);
}

/* Each place escapes a value its own way; an unset one is TARS_ENOTFOUND. */
static void test_values_escaped_by_place(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_load_template_value vars[TARS_LOAD_MAX_VARS] = {{"7", 1}};
    struct tars_buf b = TARS_BUF_INIT(4096);
    uint64_t rng[4] = {1, 2, 3, 4};
    const struct tars_load_task *open;

    (void)state;
    if (load(journey_yaml, &s, &err))
        fail_msg("%s", err.msg);
    open = &s.tasks[3];
    /* id unset: nothing rendered can be sent */
    assert_int_equal(
        tars_load_template_render_vars(open->path, 1, rng, vars, TARS_LOAD_MAX_VARS, &b),
        TARS_ENOTFOUND);
    tars_buf_reset(&b);
    vars[1] = (struct tars_load_template_value){"a b/\"c", 6};
    assert_int_equal(
        tars_load_template_render_vars(open->path, 1, rng, vars, TARS_LOAD_MAX_VARS, &b), TARS_OK);
    assert_string_equal(b.data, "/agents/a%20b%2F%22c?u=7");
    tars_buf_reset(&b);
    vars[4] = (struct tars_load_template_value){"x\"\n", 3}; /* tag, in a JSON body */
    assert_int_equal(
        tars_load_template_render_vars(open->body, 1, rng, vars, TARS_LOAD_MAX_VARS, &b), TARS_OK);
    assert_string_equal(b.data, "{\"who\":\"x\\\"\\u000a\",\"n\":1}");
    tars_buf_reset(&b);
    vars[3] = (struct tars_load_template_value){"/e/1\r\nX-Evil: 1", 15}; /* loc, in a header */
    assert_int_equal(tars_load_template_render_vars(open->headers[0].value, 1, rng, vars,
                                                    TARS_LOAD_MAX_VARS, &b),
                     TARS_EINVAL);
    /* without variables (a plain render) a journey template never renders */
    tars_buf_reset(&b);
    assert_int_equal(tars_load_template_render(open->path, 1, rng, &b), TARS_ENOTFOUND);
    tars_buf_release(&b);
    tars_load_scenario_release(&s);
}

static void assert_load_error(const char *text, const char *message)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    int rc = load(text, &s, &err);

    if (rc == 0)
        fail_msg("loaded: %s", text);
    assert_int_equal(rc, TARS_EINVAL);
    assert_string_equal(err.msg, message);
    assert_null(s.tasks);
}

#define J HEAD "tasks:\n  - name: j\n    steps:\n"

static void test_errors(void **state)
{
    (void)state;
    /* a variable no earlier step sets: refused when loaded, never sent as "${x}" */
    assert_load_error(J "      - path: /a/${x}\n",
                      "t.yaml:6:15: path: unknown variable \"x\" (not user, a data column, nor "
                      "extracted by an earlier step) at column 6");
    assert_load_error(J "      - path: /a\n        extract: {x: id}\n      - path: /b/${y}\n",
                      "t.yaml:8:15: path: unknown variable \"y\" (not user, a data column, nor "
                      "extracted by an earlier step) at column 6");
    /* a step's own extraction is not visible to its own request */
    assert_load_error(J "      - path: /a/${x}\n        extract: {x: id}\n",
                      "t.yaml:6:15: path: unknown variable \"x\" (not user, a data column, nor "
                      "extracted by an earlier step) at column 6");
    assert_load_error(J "      - path: /a\n        extract: {user: id}\n",
                      "t.yaml:7:25: variable \"user\" is the user's index; use another name");
    assert_load_error(J "      - path: /a\n        extract: {x: {regex: \"(\"}}\n",
                      "t.yaml:7:31: extract: bad regular expression \"(\": Unmatched ( or \\(");
    assert_load_error(J "      - path: /a\n        extract: {x: \"a[*].b[*]\"}\n",
                      "t.yaml:7:23: extract: bad JSON path \"a[*].b[*]\" (use a.b[0].c, $.id or "
                      "one [*] for a list)");
    assert_load_error(J "      - path: /a\n        extract: {x: id}\n      - path: /b\n"
                        "        loop: {over: x, as: y}\n",
                      "t.yaml:9:22: loop over \"x\": no earlier step extracts a list of that name "
                      "(a JSON path with [*])");
    assert_load_error(J "      - path: /a\n        probability: 0\n",
                      "t.yaml:7:22: probability must be above 0 and at most 1");
    assert_load_error(
        J "      - path: /a\n        weight: 2\n",
        "t.yaml:7:17: unknown key \"weight\" in a step; valid: name, method, path, headers, "
        "body, expect, extract, think, loop, probability");
    assert_load_error(HEAD "tasks:\n  - steps:\n      - path: /a\n",
                      "t.yaml:4:5: a journey needs a name");
    assert_load_error(HEAD "tasks:\n  - name: a/b\n    steps:\n      - path: /a\n",
                      "t.yaml:4:11: a journey's name may not hold \"/\" (its steps are "
                      "journey/step)");
    assert_load_error("base_url: http://h:1\nmodel: open\nrate: 5\ntasks:\n  - name: j\n    "
                      "steps:\n      - path: /a\n",
                      "t.yaml: journey \"j\": journeys run in the closed model only (a user "
                      "carries its values from step to step)");
}

/* extract: {header: NAME} reads what the parser captured. */
static void test_parser_captures_header(void **state)
{
    static const char resp[] = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
                               "location: /api/v1/evaluations/42\r\n\r\n{}";
    tars_http_parser *p;
    const struct tars_http_response *r;
    size_t used;

    (void)state;
    assert_int_equal(tars_http_parser_new(&p, NULL, NULL), TARS_OK);
    tars_http_parser_capture(p, "Location");
    assert_int_equal(tars_http_parser_feed(p, resp, sizeof(resp) - 1, &used, NULL), TARS_OK);
    r = tars_http_parser_response(p);
    assert_non_null(r->captured);
    assert_string_equal(r->captured, "/api/v1/evaluations/42");
    /* the next response without the header reports none */
    tars_http_parser_capture(p, "X-Absent");
    assert_int_equal(tars_http_parser_feed(p, resp, sizeof(resp) - 1, &used, NULL), TARS_OK);
    assert_null(tars_http_parser_response(p)->captured);
    tars_http_parser_free(p);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* data: a CSV read whole, its columns the journey's variables after user. */
static void test_data_file(void **state)
{
    char dir[] = "/tmp/tars-journey-data-XXXXXX", yaml[128], csv[128], want[512];
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    const char *text = HEAD "data: {file: u.csv, mode: unique}\n"
                            "auth: {mode: login_per_user, username_column: name, "
                            "password_column: pw}\n"
                            "tasks:\n  - name: j\n    steps:\n      - path: /a/${agent}\n";

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(yaml, sizeof(yaml), "%s/t.yaml", dir);
    snprintf(csv, sizeof(csv), "%s/u.csv", dir);
    write_file(csv, "name,pw,agent\r\nalice,\"a, \"\"b\"\"\",p1\r\n\r\nbob,x,p2\r\n");
    if (scenario_load_string(yaml, text, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.data.row_count, 2);
    assert_int_equal(s.data.column_count, 3);
    assert_true(s.data.unique);
    assert_string_equal(s.data.cells[1], "a, \"b\"");
    assert_string_equal(s.data.cells[5], "p2");
    assert_string_equal(s.tasks[0].var_names[3], "agent"); /* user, name, pw, agent */
    tars_load_scenario_release(&s);

    write_file(csv, "name,pw,agent\nalice,x\n");
    assert_int_equal(scenario_load_string(yaml, text, &s, &err), TARS_EINVAL);
    snprintf(want, sizeof(want), "%s:3:14: data %s: line 2: 2 fields, the header has 3", yaml, csv);
    assert_string_equal(err.msg, want);
    write_file(csv, "name,pw,user\nalice,x,1\n");
    assert_int_equal(scenario_load_string(yaml, text, &s, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "line 1: column \"user\" must be an identifier"));
    write_file(csv, "name,pw,agent\n\"alice,x,1\n");
    assert_int_equal(scenario_load_string(yaml, text, &s, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "line 2: a quoted field is not closed"));
    write_file(csv, "login,pw,agent\nalice,x,1\n");
    assert_int_equal(scenario_load_string(yaml, text, &s, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "auth: the data file has no column \"name\""));
    write_file(csv, "name,pw,agent\nalice,x,1\n");
    assert_int_equal(scenario_load_string(yaml,
                                          HEAD "data: {file: u.csv}\ntasks:\n  - name: j\n"
                                               "    steps:\n      - path: /a\n"
                                               "        extract: {agent: id}\n",
                                          &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "variable \"agent\" is a column of the data file"));
    assert_int_equal(scenario_load_string(yaml, HEAD "data: {file: nope.csv}\n" TASK_X, &s, &err),
                     TARS_EINVAL);
    assert_non_null(strstr(err.msg, "nope.csv\": No such file or directory"));
    unlink(csv);
    rmdir(dir);
}

/* The shipped journeys: the original's three workflows and the evaluation read back. */
static void test_shipped_journeys_load(void **state)
{
    static const char *const rows[] = {"agent_status", "mission_list", "metrics_query",
                                       "evaluation_readback", "evaluation_readback/read"};
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;

    (void)state;
    if (tars_load_scenario_load(TARS_SCENARIO_DIR "/tars-journeys.yaml", &s, &err))
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct tars_load_task *t = scenario_find_task(&s, rows[i], s.task_count);
        if (!t)
            fail_msg("no row %s", rows[i]);
        assert_int_equal(t->kind,
                         strchr(rows[i], '/') ? TARS_LOAD_TASK_STEP : TARS_LOAD_TASK_JOURNEY);
    }
    assert_int_equal(s.threshold_count, 3);
    tars_load_scenario_release(&s);
}

static int extract_once(const struct tars_load_task *step, const struct tars_http_response *res,
                        struct load_user *u)
{
    struct load_body b;
    int e;

    load_body_init(&b, res);
    e = load_extract(step, &b, u);
    load_body_release(&b);
    return e;
}

/* Extracted JSON values read as the tree writes them, whether the body was
 * scanned (plain strings, integers, literals) or parsed (escapes, -0, reals,
 * objects); a body that is not JSON extracts nothing, even a value before
 * the fault. */
static void test_extract_json_values(void **state)
{
    /* one value per step: a step parses its body at most once */
    static const char *const yaml =
        HEAD "tasks:\n  - name: j\n    steps:\n"
             "      - {path: /s, extract: {s: a.s}}\n      - {path: /e, extract: {e: a.e}}\n"
             "      - {path: /z, extract: {z: a.z}}\n      - {path: /r, extract: {r: a.r}}\n"
             "      - {path: /o, extract: {o: a.o}}\n      - {path: /i, extract: {i: a.i}}\n"
             "      - {path: /t, extract: {t: a.t}}\n";
    static const char *const want[] = {"caf\xc3\xa9", "x\ny", "0",   "1.5",
                                       "{\"k\":[1]}", "-42",  "true"};
    const char *body = "{\"a\":{\"s\":\"caf\xc3\xa9\",\"e\":\"x\\ny\",\"z\":-0,\"r\":1.50,"
                       "\"o\":{ \"k\" : [ 1 ] },\"i\":-42,\"t\":true}}";
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_http_response res = {0};
    struct tars_load_data data = {0};
    struct load_user u;

    (void)state;
    if (load(yaml, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.task_count, 8);
    load_user_init(&u, 0, &data);
    res.body = body;
    res.body_len = strlen(body);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct tars_load_task *step = &s.tasks[1 + i];
        size_t slot = step->extracts[0].slot;
        assert_int_equal(extract_once(step, &res, &u), -1);
        assert_non_null(u.vars[slot].data);
        assert_string_equal(u.vars[slot].data, want[i]);
    }
    load_user_release(&u);
    load_user_init(&u, 0, &data);
    res.body = "{\"a\":{\"s\":\"x\"},}";
    res.body_len = strlen(res.body);
    assert_int_equal(extract_once(&s.tasks[1], &res, &u), TARS_LOAD_ERR_EXTRACT);
    load_user_release(&u);
    tars_load_scenario_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_and_variables),
        cmocka_unit_test(test_values_escaped_by_place),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_parser_captures_header),
        cmocka_unit_test(test_shipped_journeys_load),
        cmocka_unit_test(test_data_file),
        cmocka_unit_test(test_extract_json_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
