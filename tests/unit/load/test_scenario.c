/* Unit tests for scenario files: the shipped one, defaults, every error
 * with its file:line:col, quick scenarios, durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "load_int.h"
#include "scenario_int.h"
#include "tars/buf.h"
#include "tars/load.h"

static const char *render(const tars_load_template *t, uint64_t seq, uint64_t rng[4])
{
    static char out[2048];
    struct tars_buf b = TARS_BUF_INIT(sizeof(out) - 1);

    assert_int_equal(tars_load_template_render(t, seq, rng, &b), TARS_OK);
    snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
    tars_buf_release(&b);
    return out;
}

static void test_shipped_scenario_loads(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    if (tars_load_scenario_load(TARS_SCENARIO_DIR "/tars-api.yaml", &s, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(s.name, "tars-api");
    assert_string_equal(s.base_url, "http://127.0.0.1:3001");
    assert_int_equal(s.model, TARS_LOAD_CLOSED);
    assert_int_equal(s.users, 100);
    assert_true(s.spawn_rate == 10);
    assert_int_equal(s.duration_ms, 5 * 60 * 1000);
    assert_int_equal(s.think_min_ms, 1000);
    assert_int_equal(s.think_max_ms, 5000);
    assert_int_equal(s.auth.mode, TARS_LOAD_AUTH_LOGIN_ONCE);
    assert_string_equal(s.auth.username_env, "TARS_LOAD_USERNAME");
    assert_string_equal(s.auth.password_env, "TARS_LOAD_PASSWORD");
    assert_string_equal(s.auth.token_path, "/api/v1/auth/token");
    assert_int_equal(s.task_count, 3);
    assert_string_equal(s.tasks[0].name, "agents");
    assert_string_equal(s.tasks[0].method, "GET");
    assert_string_equal(s.tasks[0].path_text, "/api/v1/agents");
    assert_int_equal(s.tasks[0].weight, 3);
    assert_int_equal(s.tasks[1].weight, 1);
    assert_string_equal(s.tasks[1].method, "POST");
    assert_int_equal(s.tasks[1].expect_status_count, 1);
    assert_int_equal(s.tasks[1].expect_status[0], 201);
    assert_int_equal(s.tasks[1].expect_json_count, 1);
    assert_string_equal(s.tasks[1].expect_json_fields[0], "id");
    assert_string_equal(s.tasks[2].path_text, "/api/v1/metrics?metric=agent_reward");
    assert_int_equal(s.tasks[2].weight, 2);
    assert_int_equal(s.threshold_count, 4);
    assert_string_equal(s.thresholds[0].task, "agents");
    assert_int_equal(s.thresholds[0].metric, TARS_TH_P95);
    assert_true(s.thresholds[0].value == 150e6);
    assert_null(s.thresholds[3].task);
    assert_int_equal(s.thresholds[3].metric, TARS_TH_ERROR_RATE);
    assert_true(s.thresholds[3].value == 0.01);
    tars_load_scenario_release(&s);
}

/* The evaluation body renders to the JSON the API accepts. */
static void test_shipped_body_renders_json(void **state)
{
    static const char *const agents[] = {"policy", "consensus", "ethical", "resource"};
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t rng[4] = {9, 8, 7, 6};
    (void)state;

    assert_int_equal(tars_load_scenario_load(TARS_SCENARIO_DIR "/tars-api.yaml", &s, &err), 0);
    for (uint64_t seq = 0; seq < 50; seq++) {
        json_error_t jerr;
        json_t *v = json_loads(render(s.tasks[1].body, seq, rng), 0, &jerr);
        const char *agent;
        bool known = false;
        if (!v)
            fail_msg("not JSON: %s", jerr.text);
        agent = json_string_value(json_object_get(v, "agent_id"));
        assert_non_null(agent);
        for (int i = 0; i < 4; i++)
            known = known || strcmp(agent, agents[i]) == 0;
        assert_true(known);
        assert_non_null(json_string_value(json_object_get(v, "region")));
        assert_string_equal(json_string_value(json_object_get(v, "status")), "completed");
        assert_true(json_is_integer(json_object_get(v, "reward")));
        assert_in_range(json_integer_value(json_object_get(v, "reward")) + 100, 0, 200);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(v, "details"), "request")), seq);
        json_decref(v);
    }
    tars_load_scenario_release(&s);
}

static const char *const minimal = "base_url: http://127.0.0.1:3001\n"
                                   "users: 5\n"
                                   "tasks:\n"
                                   "  - path: /x\n";

static void test_defaults(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(scenario_load_string("dir/t.yaml", minimal, &s, &err), 0);
    assert_string_equal(s.name, "t");
    assert_int_equal(s.model, TARS_LOAD_CLOSED);
    assert_int_equal(s.threads, 0);
    assert_int_equal(s.duration_ms, 30000);
    assert_int_equal(s.timeout_ms, 10000);
    assert_false(s.insecure);
    assert_int_equal(s.users, 5);
    assert_int_equal(s.connections, 5);
    assert_true(s.spawn_rate == 0);
    assert_int_equal(s.think_min_ms, 0);
    assert_int_equal(s.think_max_ms, 0);
    assert_int_equal(s.stage_count, 0);
    assert_int_equal(s.task_count, 1);
    assert_string_equal(s.tasks[0].name, "GET /x");
    assert_string_equal(s.tasks[0].method, "GET");
    assert_int_equal(s.tasks[0].weight, 1);
    assert_int_equal(s.tasks[0].header_count, 0);
    assert_null(s.tasks[0].body);
    assert_int_equal(s.tasks[0].expect_status_count, 0);
    assert_int_equal(s.auth.mode, TARS_LOAD_AUTH_NONE);
    assert_string_equal(s.auth.token_path, "/api/v1/auth/token");
    assert_int_equal(s.threshold_count, 0);
    assert_int_equal(s.worker_index, 0);
    assert_int_equal(s.worker_count, 1);
    tars_load_scenario_release(&s);
}

static void test_open_model_and_stages(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    const char *open = "base_url: https://example.com\n"
                       "model: open\n"
                       "rate: 2000\n"
                       "tasks:\n"
                       "  - {path: /x, method: post, body: 'id=${seq}', headers: {X-N: 5}}\n";
    const char *staged = "base_url: http://h:1\n"
                         "stages:\n"
                         "  - {duration: 30s, target: 20}\n"
                         "  - {duration: 1m, target: 50}\n"
                         "  - {duration: 30s, target: 0}\n"
                         "think_time: {min: 500ms, max: 1.5s}\n"
                         "tasks:\n"
                         "  - path: /x\n";
    uint64_t rng[4] = {1, 2, 3, 4};
    (void)state;

    assert_int_equal(scenario_load_string("t.yaml", open, &s, &err), 0);
    assert_int_equal(s.model, TARS_LOAD_OPEN);
    assert_true(s.rate == 2000);
    assert_int_equal(s.connections, 100);
    assert_string_equal(s.tasks[0].method, "POST");
    assert_string_equal(render(s.tasks[0].body, 12, rng), "id=12");
    assert_int_equal(s.tasks[0].header_count, 1);
    assert_string_equal(s.tasks[0].headers[0].name, "X-N");
    assert_string_equal(render(s.tasks[0].headers[0].value, 0, rng), "5");
    tars_load_scenario_release(&s);

    assert_int_equal(scenario_load_string("t.yaml", staged, &s, &err), 0);
    assert_int_equal(s.stage_count, 3);
    assert_int_equal(s.duration_ms, 120000);
    assert_int_equal(s.users, 50);
    assert_int_equal(s.stages[1].duration_ms, 60000);
    assert_true(s.stages[1].target == 50);
    assert_int_equal(s.think_min_ms, 500);
    assert_int_equal(s.think_max_ms, 1500);
    tars_load_scenario_release(&s);
}

static void assert_load_error(const char *text, const char *message)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    int rc = scenario_load_string("t.yaml", text, &s, &err);

    if (rc == 0)
        fail_msg("loaded: %s", text);
    assert_int_equal(rc, TARS_EINVAL);
    assert_string_equal(err.msg, message);
    assert_null(s.tasks); /* released and zeroed */
    assert_null(s.name);
}

#define HEAD "base_url: http://h:1\nusers: 1\n"
#define TASK "tasks:\n  - path: /x\n"

static void test_errors_name_file_line_col(void **state)
{
    (void)state;
    assert_load_error(HEAD "duraton: 3s\n" TASK,
                      "t.yaml:3:10: unknown key \"duraton\" in the scenario (did you mean "
                      "\"duration\"?)");
    assert_load_error(HEAD "speed: 3\n" TASK,
                      "t.yaml:3:8: unknown key \"speed\" in the scenario; valid: name, base_url, "
                      "model, threads, duration, timeout, insecure, users, spawn_rate, think_time, "
                      "rate, connections, stages, auth, tasks, thresholds, data");
    assert_load_error("base_url: http://h:1\nusers: many\n" TASK,
                      "t.yaml:2:8: users must be an integer, not a string");
    assert_load_error(HEAD "duration: -5s\n" TASK,
                      "t.yaml:3:11: duration must be a duration such as 500ms, 30s or 5m, not "
                      "\"-5s\"");
    assert_load_error(HEAD "timeout: -2\n" TASK,
                      "t.yaml:3:10: timeout must be between 0 and 366 days");
    assert_load_error(HEAD "duration: 0s\n" TASK, "t.yaml:3:11: duration must be longer than 0");
    assert_load_error(HEAD "tasks: []\n", "t.yaml:3:1: tasks must list 1 to 256 tasks");
    assert_load_error(HEAD, "t.yaml:1:1: tasks is missing: at least one task is needed");
    /* found by the scenario fuzz harness: a null base_url reached tars_url_parse as NULL */
    assert_load_error("base_url:\nusers: 1\n" TASK, "t.yaml:1:1: base_url is required");
    assert_load_error(HEAD "tasks:\n  - path:\n", "t.yaml:4:5: path is required");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    weight: 0\n",
                      "t.yaml:5:13: weight must be between 1 and 1000000");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    method: FETCH\n",
                      "t.yaml:5:13: unknown method \"FETCH\"");
    assert_load_error(HEAD "tasks:\n  - method: GET\n", "t.yaml:4:13: a task needs a path");
    assert_load_error(HEAD "tasks:\n  - path: x\n",
                      "t.yaml:4:11: path must start with \"/\" and hold no control characters");
    assert_load_error(HEAD "tasks:\n  - path: /a/${random.nope(1)}\n",
                      "t.yaml:4:11: path: unknown template function \"random.nope\" at column 6");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    body: {a: \"${seq\"}\n",
                      "t.yaml:5:16: body: unterminated \"${\" at column 1");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    body: 5\n",
                      "t.yaml:5:11: body must be a string or a mapping, not a number");
    assert_load_error(HEAD "tasks:\n  - path: /x\n  - path: /x\n",
                      "t.yaml:5:11: duplicate task name \"GET /x\"");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    expect: {status: [200, 700]}\n",
                      "t.yaml:5:28: expect status must be an HTTP status 100..599");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    expect: {json: [a..b]}\n",
                      "t.yaml:5:21: bad JSON field \"a..b\" (use name or a.b.c)");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    headers: {Content-Length: 5}\n",
                      "t.yaml:5:31: header \"Content-Length\" is set by tars, not by the scenario");
    assert_load_error(HEAD "tasks:\n  - path: /x\n    colour: red\n",
                      "t.yaml:5:13: unknown key \"colour\" in a task; valid: name, method, path, "
                      "headers, body, weight, expect");
}

static void test_more_errors(void **state)
{
    (void)state;
    assert_load_error("base_url: ftp://h\nusers: 1\n" TASK,
                      "t.yaml:1:11: bad base_url: unsupported scheme \"ftp\"");
    assert_load_error("base_url: http://h:1/api\nusers: 1\n" TASK,
                      "t.yaml:1:11: base_url must not have a path or query (\"/api\"); put it in "
                      "the task paths");
    assert_load_error("users: 1\n" TASK, "t.yaml:1:1: base_url is missing");
    assert_load_error("base_url: http://h:1\n" TASK,
                      "t.yaml:1:1: the closed model needs users (or stages)");
    assert_load_error(HEAD "rate: 5\n" TASK, "t.yaml:3:7: rate applies to the open model only");
    assert_load_error("base_url: http://h:1\nmodel: open\nrate: 5\nusers: 3\n" TASK,
                      "t.yaml:4:8: users applies to the closed model only");
    assert_load_error("base_url: http://h:1\nmodel: half\n" TASK,
                      "t.yaml:2:8: model must be one of closed, open, not \"half\"");
    assert_load_error("base_url: http://h:1\nmodel: opne\n" TASK,
                      "t.yaml:2:8: model must be one of closed, open, not \"opne\" (did you mean "
                      "\"open\"?)");
    assert_load_error(HEAD "think_time: between(3s, 1s)\n" TASK,
                      "t.yaml:3:13: think_time: min is above max");
    assert_load_error(HEAD "think_time: between(3s)\n" TASK,
                      "t.yaml:3:13: think_time: expected between(min, max) with durations such "
                      "as 1s, not \"between(3s)\"");
    assert_load_error(HEAD "thresholds: [\"p95<150xs\"]\n" TASK,
                      "t.yaml:3:15: bad threshold \"p95<150xs\": unit \"xs\" does not fit p95 "
                      "(use ms, s or us)");
    assert_load_error(HEAD TASK "thresholds:\n  - \"agents:p95<1s\"\n",
                      "t.yaml:6:6: threshold \"agents:p95<1s\": no task named \"agents\"");
    assert_load_error(HEAD "auth: {mode: magic}\n" TASK,
                      "t.yaml:3:14: auth mode must be one of none, bearer, login_once, "
                      "login_per_user, not \"magic\"");
    assert_load_error(HEAD "auth: login_onse\n" TASK,
                      "t.yaml:3:7: auth mode must be one of none, bearer, login_once, "
                      "login_per_user, not \"login_onse\" (did you mean \"login_once\"?)");
    assert_load_error(HEAD "auth: {mode: login_once, token_env: T}\n" TASK,
                      "t.yaml:3:37: unknown key \"token_env\" in auth mode login_once; valid: "
                      "mode, token_path, username_env, password_env");
    assert_load_error(HEAD "auth: {mode: bearer, token_env: 1BAD}\n" TASK,
                      "t.yaml:3:33: token_env: \"1BAD\" is not an environment variable name");
    assert_load_error(HEAD "stages:\n  - {duration: 10s}\n" TASK,
                      "t.yaml:4:16: a stage needs both duration and target");
    assert_load_error("- a\n- b\n", "t.yaml:1:1: a scenario must be a mapping, not a list");
}

/* Broken YAML is lib/yaml's to report; the scenario passes it on. */
static void test_broken_yaml(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(scenario_load_string("t.yaml", "a: [1\n", &s, &err), TARS_EINVAL);
    assert_int_equal(strncmp(err.msg, "t.yaml:", 7), 0);
    assert_null(s.name);
}

static void test_file_errors(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_load_scenario_load("/nonexistent/x.yaml", &s, &err), TARS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.yaml"));
    assert_int_equal(tars_load_scenario_load("/nonexistent/x.yaml", &s, NULL), TARS_EIO);
}

static void test_quick(void **state)
{
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t rng[4] = {1, 2, 3, 4};
    (void)state;

    assert_int_equal(
        tars_load_scenario_quick("http://127.0.0.1:8080/api/v1/agents?limit=5", NULL, &s, &err), 0);
    assert_string_equal(s.base_url, "http://127.0.0.1:8080");
    assert_int_equal(s.task_count, 1);
    assert_string_equal(s.tasks[0].method, "GET");
    assert_string_equal(s.tasks[0].path_text, "/api/v1/agents?limit=5");
    assert_string_equal(s.tasks[0].name, "GET /api/v1/agents?limit=5");
    assert_int_equal(s.users, TARS_LOAD_QUICK_USERS);
    assert_int_equal(s.users, 50); /* what tars help load says */
    assert_int_equal(s.connections, 50);
    assert_int_equal(s.duration_ms, 10000);
    assert_int_equal(tars_load_scenario_validate(&s, &err), 0);
    s.model = TARS_LOAD_OPEN;
    s.rate = 0;
    assert_int_equal(tars_load_scenario_validate(&s, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "rate must be above 0 and at most 10000000");
    s.rate = 2000;
    assert_int_equal(tars_load_scenario_validate(&s, &err), 0);
    s.worker_index = 2;
    s.worker_count = 2;
    assert_int_equal(tars_load_scenario_validate(&s, &err), TARS_EINVAL);
    tars_load_scenario_release(&s);

    assert_int_equal(tars_load_scenario_quick("https://example.com/x/${seq}", "delete", &s, &err),
                     0);
    assert_string_equal(s.base_url, "https://example.com");
    assert_string_equal(s.tasks[0].method, "DELETE");
    assert_string_equal(render(s.tasks[0].path, 5, rng), "/x/5");
    tars_load_scenario_release(&s);

    assert_int_equal(tars_load_scenario_quick("nope://x", NULL, &s, &err), TARS_EINVAL);
    assert_null(s.base_url);
    assert_int_equal(tars_load_scenario_quick("http://h/", "FETCH", &s, &err), TARS_EINVAL);
    assert_string_equal(err.msg, "unknown method \"FETCH\"");
    tars_load_scenario_release(&s); /* already released: a zeroed struct is fine */
}

static void test_durations(void **state)
{
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {{"30s", 30000}, {"5m", 300000},        {"1h30m", 5400000},
                {"250ms", 250}, {"1.5s", 1500},        {"30", 30000},
                {"0s", 0},      {"1m30s500ms", 90500}, {"0.25", 250}};
    static const char *const bad[] = {"",     "-5s", "5x",  "s",        "1.s", "5m30",
                                      "1e3s", " 5s", "5s ", "9999999h", ".5s"};
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t ms = -1;
        assert_int_equal(tars_duration_parse(good[i].text, &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = -1;
        if (tars_duration_parse(bad[i], &ms) != TARS_EINVAL)
            fail_msg("\"%s\" parsed", bad[i]);
        assert_int_equal(ms, -1);
    }
}

static int check_body(const struct tars_load_task *task, const char *body, int *status,
                      bool *parsed)
{
    struct tars_http_response res = {0};
    struct load_body b;
    int e;

    res.status = 200;
    res.body = body;
    res.body_len = strlen(body);
    load_body_init(&b, &res);
    e = load_check_response(task, &b, status);
    *parsed = b.parsed;
    load_body_release(&b);
    return e;
}

/* expect.json paths are tars_json_path's: keys and array indexes. */
static void test_expect_json_paths(void **state)
{
    static const char body[] = "{\"items\":[{\"id\":7}],\"a\":{\"b\":1}}";
    char *fields[] = {"items[0].id", "a.b", "$.items"};
    char *missing[] = {"a.b", "items[1].id"};
    struct tars_load_task task = {0};
    int status = 0;
    bool parsed;
    (void)state;

    task.expect_json_fields = fields;
    task.expect_json_count = 3;
    assert_int_equal(check_body(&task, body, &status, &parsed), -1);
    assert_int_equal(status, 200);
    task.expect_json_fields = missing;
    task.expect_json_count = 2;
    assert_int_equal(check_body(&task, body, &status, &parsed), TARS_LOAD_ERR_EXPECT);
}

/* expect.json answered by scanning the text: no tree for a plain body, the
 * tree's verdict on one the scan leaves to it (an escaped string or key on
 * the path), and a body that is not JSON has no field, even one written
 * before the fault. */
static void test_expect_json_scanned(void **state)
{
    char *fields[] = {"agents[0].id", "total"};
    char *escaped_key[] = {"a\\b"};
    struct tars_load_task task = {0};
    int status = 0;
    bool parsed = true;
    (void)state;

    task.expect_json_fields = fields;
    task.expect_json_count = 2;
    assert_int_equal(
        check_body(&task, "{\"agents\":[{\"id\":\"x\"}],\"total\":1}", &status, &parsed), -1);
    assert_false(parsed);       /* the scan answered */
    task.expect_json_count = 1; /* agents[0].id alone: written before each fault */
    assert_int_equal(
        check_body(&task, "{\"agents\":[{\"id\":\"x\"}],\"total\":1,}", &status, &parsed),
        TARS_LOAD_ERR_EXPECT);
    assert_int_equal(check_body(&task, "{\"agents\":[{\"id\":\"x\"}]} x", &status, &parsed),
                     TARS_LOAD_ERR_EXPECT);
    assert_int_equal(
        check_body(&task, "{\"agents\":[{\"id\":\"x\"}],\"total\":1e999}", &status, &parsed),
        TARS_LOAD_ERR_EXPECT);
    task.expect_json_count = 2;
    assert_int_equal(check_body(&task, "{\"agents\":[],\"total\":1}", &status, &parsed),
                     TARS_LOAD_ERR_EXPECT);
    assert_int_equal(check_body(&task, "{\"agents\":[{\"id\":1}]}", &status, &parsed),
                     TARS_LOAD_ERR_EXPECT);
    /* the found value escaped: the tree says it is there */
    assert_int_equal(
        check_body(&task, "{\"agents\":[{\"id\":\"\\u00e9\"}],\"total\":1}", &status, &parsed), -1);
    assert_true(parsed);
    /* a key with an escape on the path: only the tree can match it */
    task.expect_json_fields = escaped_key;
    task.expect_json_count = 1;
    assert_int_equal(check_body(&task, "{\"a\\\\b\":1}", &status, &parsed), -1);
    assert_int_equal(check_body(&task, "{\"a\\u005cb\":1}", &status, &parsed), -1);
    assert_int_equal(check_body(&task, "{\"ab\":1}", &status, &parsed), TARS_LOAD_ERR_EXPECT);
}

/* k6's thresholds: a mapping of metric (with tags) to expressions, beside
 * tars' own list; each maps to the same threshold tars' own form gives. */
static void test_k6_thresholds(void **state)
{
    static const char k6[] = "base_url: http://h:1\nusers: 1\n"
                             "tasks:\n  - name: agents\n    path: /a\n"
                             "thresholds:\n"
                             "  http_req_duration: [\"p(95)<150\", \"avg < 100\"]\n"
                             "  \"http_req_duration{name:agents}\":\n"
                             "    - threshold: \"p(99)<300\"\n"
                             "      abortOnFail: false\n"
                             "  http_req_failed: [\"rate<0.01\"]\n"
                             "  http_reqs: \"count>100\"\n";
    struct tars_load_scenario s;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    if (scenario_load_string("t.yaml", k6, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.threshold_count, 5);
    assert_string_equal(s.thresholds[0].text, "http_req_duration: p(95)<150");
    assert_int_equal(s.thresholds[0].metric, TARS_TH_PERCENTILE);
    assert_true(s.thresholds[0].percentile == 95 && s.thresholds[0].value == 150e6);
    assert_null(s.thresholds[0].task);
    assert_int_equal(s.thresholds[1].metric, TARS_TH_MEAN);
    assert_string_equal(s.thresholds[2].task, "agents");
    assert_true(s.thresholds[2].percentile == 99 && s.thresholds[2].value == 300e6);
    assert_int_equal(s.thresholds[3].metric, TARS_TH_ERROR_RATE);
    assert_true(s.thresholds[3].value == 0.01);
    assert_int_equal(s.thresholds[4].metric, TARS_TH_REQUESTS);
    tars_load_scenario_release(&s);

    assert_load_error(HEAD TASK
                      "thresholds:\n  \"http_req_duration{name:agnets}\": [\"p(95)<1\"]\n",
                      "t.yaml:6:39: threshold \"http_req_duration{name:agnets}: p(95)<1\": no task "
                      "named \"agnets\"");
    assert_load_error("base_url: http://h:1\nusers: 1\ntasks:\n  - name: agents\n    path: /a\n"
                      "thresholds:\n  \"http_req_duration{name:agnets}\": [\"p(95)<1\"]\n",
                      "t.yaml:7:39: threshold \"http_req_duration{name:agnets}: p(95)<1\": no task "
                      "named \"agnets\" (did you mean \"agents\"?)");
    assert_load_error(HEAD TASK "thresholds:\n  http_req_waiting: [\"p(95)<1\"]\n",
                      "t.yaml:6:23: bad threshold \"http_req_waiting: p(95)<1\": k6 metric "
                      "\"http_req_waiting\" is not measured by tars (use http_req_duration, "
                      "http_req_failed or http_reqs)");
    assert_load_error(HEAD TASK "thresholds:\n  http_reqs: [{threshold: \"count>1\", "
                                "abortOnFail: true}]\n",
                      "t.yaml:6:51: abortOnFail: tars judges thresholds when the run ends; only "
                      "false is accepted");
    assert_load_error(HEAD TASK "thresholds:\n  http_reqs: 5\n",
                      "t.yaml:6:14: thresholds.http_reqs must be a list of expressions, not a "
                      "number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_json_paths),
        cmocka_unit_test(test_expect_json_scanned),
        cmocka_unit_test(test_shipped_scenario_loads),
        cmocka_unit_test(test_shipped_body_renders_json),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_open_model_and_stages),
        cmocka_unit_test(test_errors_name_file_line_col),
        cmocka_unit_test(test_more_errors),
        cmocka_unit_test(test_broken_yaml),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_quick),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_k6_thresholds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
