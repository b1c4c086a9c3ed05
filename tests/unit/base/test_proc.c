/* Unit tests for child processes (tars/proc.h): exit codes, output to a
 * descriptor (standard error discarded on request), a program that cannot start told apart from one
 * that failed, the timeout and the interrupt flag stopping the whole group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tars/proc.h"

static void test_exit_code_and_output(void **state)
{
    char path[] = "/tmp/tars-proc-XXXXXX", got[64] = "";
    int fd = mkstemp(path);
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    struct tars_proc p = {.argv = argv, .search_path = true, .out_fd = fd};
    struct tars_proc_result r;
    FILE *f;
    (void)state;

    assert_true(fd >= 0);
    tars_proc_run(&p, &r);
    close(fd);
    assert_int_equal(r.exit_code, 3);
    assert_false(r.not_started || r.timed_out || r.interrupted);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, sizeof(got) - 1, f), 8);
    fclose(f);
    unlink(path);
    assert_string_equal(got, "out\nerr\n");
}

/* discard_stderr: only the standard output reaches out_fd (git's output read
 * by a package, its warnings dropped). */
static void test_discard_stderr(void **state)
{
    char path[] = "/tmp/tars-proc-XXXXXX", got[64] = "";
    int fd = mkstemp(path);
    char *argv[] = {"sh", "-c", "echo out; echo err >&2", NULL};
    struct tars_proc p = {.argv = argv, .search_path = true, .out_fd = fd, .discard_stderr = true};
    struct tars_proc_result r;
    FILE *f;
    (void)state;

    assert_true(fd >= 0);
    tars_proc_run(&p, &r);
    close(fd);
    assert_int_equal(r.exit_code, 0);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, sizeof(got) - 1, f), 4);
    fclose(f);
    unlink(path);
    assert_string_equal(got, "out\n");
}

static void test_not_started_is_not_a_failure(void **state)
{
    char *argv[] = {"/nonexistent/tars-no-such-program", NULL};
    char *bare[] = {"tars-no-such-program-on-path", NULL};
    struct tars_proc p = {.argv = argv, .out_fd = -1};
    struct tars_proc_result r;
    int e = 0;
    (void)state;

    p.out_fd = open("/dev/null", O_WRONLY); /* the child's message goes nowhere */
    tars_proc_run(&p, &r);
    assert_true(r.not_started);
    assert_int_equal(r.start_errno, ENOENT);
    assert_int_equal(r.exit_code, -1);
    p.argv = bare;
    p.search_path = true;
    assert_int_equal(tars_proc_start(&p, &e), -1);
    assert_int_equal(e, ENOENT);
    close(p.out_fd);
}

static void test_timeout_stops_it(void **state)
{
    /* SIGINT to the group, the shell and its sleep alike. */
    char *argv[] = {"/bin/sh", "-c", "sleep 30 & wait", NULL};
    struct tars_proc p = {
        .argv = argv, .out_fd = -1, .own_group = true, .timeout_ms = 100, .grace_ms = 2000};
    struct tars_proc_result r;
    (void)state;

    tars_proc_run(&p, &r);
    assert_true(r.timed_out);
    assert_false(r.not_started);
    assert_true(r.duration_ms < 10000);
}

static void test_interrupt_and_stop(void **state)
{
    volatile sig_atomic_t flag = 1;
    char *argv[] = {"/bin/sh", "-c", "sleep 30", NULL};
    struct tars_proc p = {.argv = argv, .out_fd = -1, .own_group = true, .interrupted = &flag};
    struct tars_proc_result r;
    pid_t pid;
    int e;
    (void)state;

    tars_proc_run(&p, &r);
    assert_true(r.interrupted);
    assert_true(r.duration_ms < 10000);
    p.interrupted = NULL;
    pid = tars_proc_start(&p, &e);
    assert_true(pid > 0);
    assert_int_equal(e, 0);
    assert_int_equal(tars_proc_stop(pid, true, 2000), -1); /* ended by SIGINT */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_code_and_output),
        cmocka_unit_test(test_discard_stderr),
        cmocka_unit_test(test_not_started_is_not_a_failure),
        cmocka_unit_test(test_timeout_stops_it),
        cmocka_unit_test(test_interrupt_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
