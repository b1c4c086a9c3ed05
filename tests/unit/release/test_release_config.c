/* Unit tests for lib/release/release_config.c: reading configs and their errors
 * (versions are tars_package_version's, tested in test_package.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/release.h"

static int load_text(const char *text, struct tars_release_config *cfg, struct tars_err *err)
{
    char path[] = "/tmp/tars-release-config-XXXXXX";
    int fd = mkstemp(path), rc;
    FILE *f = fdopen(fd, "w");

    fputs(text, f);
    fclose(f);
    rc = tars_release_config_load(path, cfg, err);
    unlink(path);
    return rc;
}

static void test_config_reads_every_section(void **state)
{
    struct tars_release_config cfg;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    assert_int_equal(
        load_text("release: {name: s, version: v1.2.3, base_url: 'http://x'}\n"
                  "preflight: {files: [a, b], rules: r.yaml, chart: c, cluster: true}\n"
                  "package: {output_dir: out}\n"
                  "deploy:\n  timeout: 5m\n  steps:\n    - run: helm upgrade\n"
                  "      timeout: 90s\n"
                  "wait: {ready_url: '${base_url}/ready', timeout: 20s}\n"
                  "validate:\n  steps:\n    - tars: [validate, s.yaml, --parallel, 4]\n"
                  "      allow_failure: true\n"
                  "decide: {baseline: runs/base}\n"
                  "notify: {slack: {webhook_env: HOOK}}\n",
                  &cfg, &err),
        TARS_OK);
    assert_string_equal(cfg.version, "1.2.3");
    assert_int_equal(cfg.file_count, 2);
    assert_true(cfg.need_cluster);
    assert_true(cfg.package);
    assert_string_equal(cfg.artifacts_dir, "out");
    assert_int_equal(cfg.deploy.timeout_ms, 300000);
    assert_int_equal(cfg.deploy.steps[0].timeout_ms, 90000);
    assert_string_equal(cfg.deploy.steps[0].shell, "helm upgrade");
    assert_int_equal(cfg.wait_timeout_ms, 20000);
    assert_int_equal(cfg.validate.steps[0].tars_argc, 4);
    assert_string_equal(cfg.validate.steps[0].tars_argv[3], "4"); /* numbers become text */
    assert_null(cfg.validate.steps[0].tars_argv[4]);
    assert_true(cfg.validate.steps[0].allow_failure);
    assert_string_equal(cfg.baseline, "runs/base");
    assert_string_equal(cfg.slack_webhook_env, "HOOK");
    assert_true(cfg.report); /* on unless switched off */
    tars_release_config_release(&cfg);
}

static void test_config_errors_name_the_place(void **state)
{
    struct {
        const char *text, *want;
    } cases[] = {
        {"deploy: {}\n", "missing \"release\" section"},
        {"release: {name: x}\n", "release.version is required"},
        {"release: {version: 1.0.1}\nperf: {steps: [{run: a, tars: [b]}]}\n", "exactly one of"},
        {"release: {version: 1.0.1}\nperf: {steps: [{}]}\n", "exactly one of"},
        {"release: {version: 1.0.1}\nwait: {timeout: soon}\n",
         ":2:17: timeout must be a duration such as 500ms, 30s or 5m, not \"soon\""},
        {"release: {version: 1.0.1}\nreport: {html: yes please}\n",
         ":2:16: html must be true or false, not a string"},
        {"release: {version: 1.0.1}\nrollbak: {}\n",
         ":2:1: unknown key \"rollbak\" in the release config (did you mean \"rollback\"?)"},
        {"release: {version: 1.0.1}\nnotify: {slack: {chanel: x}}\n",
         ":2:26: unknown key \"chanel\" in notify.slack (did you mean \"channel\"?)"},
        {"release: {version: 1.0.1}\nprobe: {rate: 5}\n", ":2:1: paths is required"},
        {"release: {version: 1.0.1}\nprobe: {paths: [/h], rate: 0}\n",
         ":2:28: rate must be between 0.001 and 1000"},
        {"release: {version: 1.0.1}\nprobe: {paths: [/h], websocket: {token_env: T}}\n",
         ":2:22: connections is required"},
        {"release: {version: 1.0.1}\nsignoff: {require: []}\n",
         ":2:11: require must be a list of 1 to 16 strings"},
        {"release: {version: 1.0.1}\npreflight: {files: [a, 2]}\n",
         ":2:24: an item of files must be a string, not a number"},
        {"release: {version: 1.0.1}\nvalidate: {steps: [{tars: []}]}\n", "list of 1 to"},
    };
    struct tars_release_config cfg;
    struct tars_err err = TARS_ERR_INIT;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(load_text(cases[i].text, &cfg, &err), TARS_EINVAL);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
        assert_non_null(strstr(err.msg, "tars-release-config-")); /* the file is named */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_reads_every_section),
        cmocka_unit_test(test_config_errors_name_the_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
