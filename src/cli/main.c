/* tars: the T.A.R.S. release gate. main() only dispatches. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "tars/str.h"
#include "tars/str.h"

static void usage_help(void);
static int cmd_help(int argc, char **argv);

static const struct cli_spec *const load_specs[] = {&cli_load_spec, &cli_load_merge_spec, NULL};
static const struct cli_spec *const report_specs[] = {&cli_report_spec, NULL};
static const struct cli_spec *const compare_specs[] = {&cli_compare_spec, NULL};
static const struct cli_spec *const api_snapshot_specs[] = {&cli_api_snapshot_spec, NULL};
static const struct cli_spec *const db_integrity_specs[] = {&cli_db_integrity_spec, NULL};
static const struct cli_spec *const version_specs[] = {&cli_version_spec, NULL};
static const struct cli_spec *const user_specs[] = {&cli_user_spec, NULL};

/* Sorted by name. */
static const struct cli_command commands[] = {
    {"api-snapshot", cmd_api_snapshot, "record the API's statuses and JSON shapes; compare them",
     api_snapshot_specs, NULL},
    {"compare", cmd_compare, "judge a current run against a baseline (Mann-Whitney, drift)",
     compare_specs, NULL},
    {"db-bench", cmd_db_bench, "time the database query families, check their plans", NULL,
     usage_db_bench},
    {"db-integrity", cmd_db_integrity, "row counts and checksums a release must keep; compare",
     db_integrity_specs, NULL},
    {"db-seed", cmd_db_seed, "fill a database with deterministic evaluation data", NULL,
     usage_db_seed},
    {"help", cmd_help, "show help for tars or one command", NULL, usage_help},
    {"load", cmd_load, "HTTP load: closed or open model, thresholds, JSON/CSV, merge", load_specs,
     NULL},
    {"package", cmd_package, "versioned, checksummed release artifacts; --validate", NULL,
     usage_package},
    {"promote", cmd_promote, "promote a run whose every required role signed off its evidence",
     NULL, usage_promote},
    {"release", cmd_release, "the whole gate: deploy, validate, measure, decide, roll back", NULL,
     usage_release},
    {"report", cmd_report, "render the release report of a run (Markdown, HTML)", report_specs,
     NULL},
    {"serve", cmd_serve, "run the reference T.A.R.S. dashboard API", NULL, usage_serve},
    {"signoff", cmd_signoff, "sign a run's evidence for a role (SSH signature); list sign-offs",
     NULL, usage_signoff},
    {"user", cmd_user, "manage users of `tars serve` (add)", user_specs, NULL},
    {"validate", cmd_validate, "run declarative check suites: console, JUnit, JSON, TAP", NULL,
     usage_validate},
    {"version", cmd_version, "print version, git commit and build time", version_specs, NULL},
    {"ws-stress", cmd_ws_stress, "many WebSocket clients: loss, order, latency, reconnects", NULL,
     usage_ws_stress},
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
    printf("usage: tars help [--markdown] [command]\n\n"
           "Shows a command's options, generated from the table its parser reads;\n"
           "--markdown prints them as docs/cli.md has them.\n");
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

static void print_command_help(const struct cli_command *c, bool markdown)
{
    if (!c->specs) {
        c->usage();
        return;
    }
    for (size_t i = 0; c->specs[i]; i++) {
        if (i && !markdown)
            fputc('\n', stdout);
        (markdown ? cli_opt_markdown : cli_opt_help)(stdout, c->specs[i]);
    }
}

static int cmd_help(int argc, char **argv)
{
    const struct cli_command *c;
    bool markdown = argc >= 2 && strcmp(argv[1], "--markdown") == 0;

    if (markdown) {
        argc--;
        argv++;
    }
    if (argc < 2 && !markdown) {
        usage_main(stdout);
        return EXIT_OK;
    }
    if (argc < 2) { /* every command, as docs/cli.md */
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (commands[i].specs)
                print_command_help(&commands[i], true);
        return EXIT_OK;
    }
    c = cli_find_command(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    print_command_help(c, markdown);
    return EXIT_OK;
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
