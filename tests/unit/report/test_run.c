/* Unit tests for lib/report/run.c: run directories and their run.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/run.h"

static char root[64];

static int make_root(void **state)
{
    (void)state;
    strcpy(root, "/tmp/tars-run-test-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_create_then_sections(void **state)
{
    char dir[256];
    struct tars_err err = TARS_ERR_INIT;
    json_t *r, *v;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/runs/one", root);
    assert_int_equal(tars_run_open(dir, false, &err), TARS_ENOTFOUND);
    assert_int_equal(tars_run_open(dir, true, &err), TARS_OK);
    v = json_pack("{s:s}", "environment", "local");
    assert_int_equal(tars_run_put(dir, "release", v, &err), TARS_OK);
    json_decref(v);
    for (int i = 0; i < 3; i++) {
        v = json_pack("{s:i}", "n", i);
        assert_int_equal(tars_run_append(dir, "loads", v, &err), TARS_OK);
        json_decref(v);
    }
    r = tars_run_load(dir, &err);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "format")), TARS_RUN_FORMAT);
    assert_non_null(json_object_get(r, "started_at"));
    assert_non_null(json_object_get(json_object_get(r, "machine"), "cpus"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "release"), "environment")), "local");
    assert_int_equal(json_array_size(json_object_get(r, "loads")), 3);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(json_object_get(r, "loads"), 2), "n")),
        2);
    json_decref(r);
    /* Opening again keeps what is there. */
    assert_int_equal(tars_run_open(dir, true, &err), TARS_OK);
    r = tars_run_load(dir, &err);
    assert_int_equal(json_array_size(json_object_get(r, "loads")), 3);
    json_decref(r);
}

static void test_append_to_non_array_fails(void **state)
{
    char dir[256];
    struct tars_err err = TARS_ERR_INIT;
    json_t *v = json_string("x");
    (void)state;

    snprintf(dir, sizeof(dir), "%s/two", root);
    assert_int_equal(tars_run_open(dir, true, &err), TARS_OK);
    assert_int_equal(tars_run_put(dir, "ws", v, &err), TARS_OK);
    assert_int_equal(tars_run_append(dir, "ws", v, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "not an array"));
    json_decref(v);
}

static void test_broken_run_json_is_named(void **state)
{
    char dir[256], path[300];
    struct tars_err err = TARS_ERR_INIT;
    FILE *f;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/three", root);
    assert_int_equal(tars_run_open(dir, true, &err), TARS_OK);
    snprintf(path, sizeof(path), "%s/run.json", dir);
    f = fopen(path, "w");
    fputs("{\"format\": ", f);
    fclose(f);
    assert_int_equal(tars_run_open(dir, true, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "run.json:"));
}

/* Writers in several processes at once: none of their appends is lost. */
static void test_concurrent_appends_all_land(void **state)
{
    char dir[256];
    struct tars_err err = TARS_ERR_INIT;
    enum { WRITERS = 4, EACH = 25 };
    json_t *r;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/four", root);
    assert_int_equal(tars_run_open(dir, true, &err), TARS_OK);
    for (int w = 0; w < WRITERS; w++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < EACH; i++) {
                json_t *v = json_pack("{s:i,s:i}", "w", w, "i", i);
                if (tars_run_append(dir, "events", v, NULL) != TARS_OK)
                    _exit(1);
                json_decref(v);
            }
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        wait(&status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    r = tars_run_load(dir, &err);
    assert_int_equal(json_array_size(json_object_get(r, "events")), WRITERS * EACH);
    json_decref(r);
}

static void test_default_dir_name(void **state)
{
    char out[128];
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(tars_run_default_dir("runs", "1.0.1", out, sizeof(out), &err), TARS_OK);
    assert_int_equal(strlen(out), strlen("runs/20261123T181500Z-1.0.1"));
    assert_true(strncmp(out, "runs/20", 7) == 0);
    assert_string_equal(out + strlen(out) - 6, "-1.0.1");
    assert_int_equal(tars_run_default_dir("runs", NULL, out, 12, &err), TARS_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_then_sections),
        cmocka_unit_test(test_append_to_non_array_fails),
        cmocka_unit_test(test_broken_run_json_is_named),
        cmocka_unit_test(test_concurrent_appends_all_land),
        cmocka_unit_test(test_default_dir_name),
    };
    return cmocka_run_group_tests(tests, make_root, remove_root);
}
