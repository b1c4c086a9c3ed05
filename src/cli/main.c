/* tars: the T.A.R.S. release gate. main() only dispatches. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tars/str.h"

static void usage_help(void);
static int cmd_help(int argc, char **argv);

/* Sorted by name. */
static const struct cli_command commands[] = {
    {"api-snapshot", cmd_api_snapshot, "record the API's statuses and JSON shapes; compare them", usage_api_snapshot},
    {"compare", cmd_compare, "judge a current run against a baseline (Mann-Whitney, drift)", usage_compare},
    {"db-bench", cmd_db_bench, "time the database query families, check their plans", usage_db_bench},
    {"db-integrity", cmd_db_integrity, "row counts and checksums a release must keep; compare", usage_db_integrity},
    {"db-seed", cmd_db_seed, "fill a database with deterministic evaluation data", usage_db_seed},
    {"help", cmd_help, "show help for tars or one command", usage_help},
    {"load", cmd_load, "HTTP load: closed or open model, thresholds, JSON/CSV, merge", usage_load},
    {"package", cmd_package, "versioned, checksummed release artifacts; --validate", usage_package},
    {"promote", cmd_promote, "promote a run whose every required role signed off its evidence", usage_promote},
    {"release", cmd_release, "the whole gate: deploy, validate, measure, decide, roll back", usage_release},
    {"report", cmd_report, "render the release report of a run (Markdown, HTML)", usage_report},
    {"serve", cmd_serve, "run the reference T.A.R.S. dashboard API", usage_serve},
    {"signoff", cmd_signoff, "sign a run's evidence for a role (SSH signature); list sign-offs", usage_signoff},
    {"user", cmd_user, "manage users of `tars serve` (add)", usage_user},
    {"validate", cmd_validate, "run declarative check suites: console, JUnit, JSON, TAP", usage_validate},
    {"version", cmd_version, "print version, git commit and build time", usage_version},
    {"ws-stress", cmd_ws_stress, "many WebSocket clients: loss, order, latency, reconnects", usage_ws_stress},
};

const struct cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

volatile sig_atomic_t cli_interrupted;

static void on_interrupt(int sig)
{
    static const char msg[] = "\ntars: interrupted: finishing with the results so far "
                              "(again to abort)\n";
    (void)sig;
    cli_interrupted = 1;
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
        return;
}

void cli_catch_interrupt(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tars %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nhint: see 'tars help %s'\n", cmd);
    return EXIT_USAGE;
}

const char *cli_env_or(const char *value, const char *env_name, const char *fallback)
{
    const char *env;

    if (value)
        return value;
    env = env_name ? getenv(env_name) : NULL;
    if (env && *env)
        return env;
    return fallback;
}

static void usage_main(FILE *out)
{
    fprintf(out, "usage: tars <command> [options]\n\n"
                 "tars decides whether a T.A.R.S. release may go from staging to production,\n"
                 "and shows the evidence.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'tars help <command>' or 'tars <command> --help' shows a command's options.\n"
                 "exit codes: 0 ok, 1 failed, 2 inconclusive, 3 bad usage or input.\n");
}

static void usage_help(void)
{
    printf("usage: tars help [command]\n");
}

static int cmd_help(int argc, char **argv)
{
    const struct cli_command *c;

    if (argc < 2) {
        usage_main(stdout);
        return EXIT_OK;
    }
    c = cli_find_command(argv[1]);
    if (!c)
        return cli_usage_error("help", "unknown command \"%s\"", argv[1]);
    c->usage();
    return EXIT_OK;
}

/* git's and kubectl's answer to a typo: the nearest command, if one is near. */
static int unknown_command(const char *name)
{
    struct tars_str_suggester sg;

    tars_str_suggest_init(&sg, name);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        tars_str_suggest_add(&sg, commands[i].name);
    fprintf(stderr, "tars: unknown command \"%s\"\n", name);
    if (tars_str_suggest_best(&sg))
        fprintf(stderr, "hint: did you mean \"%s\"?\n", tars_str_suggest_best(&sg));
    fprintf(stderr, "hint: 'tars --help' lists the commands\n");
    return EXIT_USAGE;
}

/* stdout may be a full disk or a closed pipe: say so rather than exit 0. */
static int finish_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tars: cannot write standard output: %s\n", strerror(errno));
        return rc ? rc : EXIT_INCONCLUSIVE;
    }
    return rc;
}

int main(int argc, char **argv)
{
    const struct cli_command *c;
    const char *name;

    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return finish_stdout(cmd_help(1, argv));
    if (strcmp(name, "--version") == 0)
        name = "version";
    c = cli_find_command(name);
    if (!c)
        return unknown_command(name);
    return finish_stdout(c->run(argc - 1, argv + 1));
}
