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

static int cmd_help(int argc, char **argv);

static const struct cli_spec *const help_specs[] = {&cli_help_spec, NULL};
static const struct cli_spec *const completion_specs[] = {&cli_completion_spec, NULL};
static const struct cli_spec *const load_specs[] = {&cli_load_spec, &cli_load_merge_spec, NULL};
static const struct cli_spec *const report_specs[] = {&cli_report_spec, NULL};
static const struct cli_spec *const compare_specs[] = {&cli_compare_spec, NULL};
static const struct cli_spec *const api_snapshot_specs[] = {&cli_api_snapshot_spec, NULL};
static const struct cli_spec *const db_integrity_specs[] = {&cli_db_integrity_spec, NULL};
static const struct cli_spec *const version_specs[] = {&cli_version_spec, NULL};
static const struct cli_spec *const user_specs[] = {&cli_user_spec, NULL};
static const struct cli_spec *const ws_stress_specs[] = {&cli_ws_stress_spec, NULL};
static const struct cli_spec *const db_bench_specs[] = {&cli_db_bench_spec, NULL};
static const struct cli_spec *const db_seed_specs[] = {&cli_db_seed_spec, NULL};
static const struct cli_spec *const serve_specs[] = {&cli_serve_spec, NULL};
static const struct cli_spec *const release_specs[] = {&cli_release_spec, NULL};
static const struct cli_spec *const package_specs[] = {&cli_package_spec, NULL};
static const struct cli_spec *const signoff_specs[] = {&cli_signoff_spec, NULL};
static const struct cli_spec *const promote_specs[] = {&cli_promote_spec, NULL};
static const struct cli_spec *const validate_specs[] = {&cli_validate_spec, NULL};

/* Sorted by name. */
static const struct cli_command commands[] = {
    {"api-snapshot", cmd_api_snapshot, "record the API's statuses and JSON shapes; compare them",
     api_snapshot_specs},
    {"compare", cmd_compare, "judge a current run against a baseline (Mann-Whitney, drift)",
     compare_specs},
    {"completion", cmd_completion, "print a bash, zsh or fish completion script", completion_specs},
    {"db-bench", cmd_db_bench, "time the database query families, check their plans",
     db_bench_specs},
    {"db-integrity", cmd_db_integrity, "row counts and checksums a release must keep; compare",
     db_integrity_specs},
    {"db-seed", cmd_db_seed, "fill a database with deterministic evaluation data", db_seed_specs},
    {"help", cmd_help, "show help for tars or one command", help_specs},
    {"load", cmd_load, "HTTP load: closed or open model, thresholds, JSON/CSV, merge", load_specs},
    {"package", cmd_package, "versioned, checksummed release artifacts; --validate", package_specs},
    {"promote", cmd_promote, "promote a run whose every required role signed off its evidence",
     promote_specs},
    {"release", cmd_release, "the whole gate: deploy, validate, measure, decide, roll back",
     release_specs},
    {"report", cmd_report, "render the release report of a run (Markdown, HTML)", report_specs},
    {"serve", cmd_serve, "run the reference T.A.R.S. dashboard API", serve_specs},
    {"signoff", cmd_signoff, "sign a run's evidence for a role (SSH signature); list sign-offs",
     signoff_specs},
    {"user", cmd_user, "manage users of `tars serve` (add)", user_specs},
    {"validate", cmd_validate, "run declarative check suites: console, JUnit, JSON, TAP",
     validate_specs},
    {"version", cmd_version, "print version, git commit and build time", version_specs},
    {"ws-stress", cmd_ws_stress, "many WebSocket clients: loss, order, latency, reconnects",
     ws_stress_specs},
};

const struct cli_command *cli_commands(size_t *count)
{
    *count = sizeof(commands) / sizeof(commands[0]);
    return commands;
}

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
    fprintf(out, "\n'tars help <command>' or 'tars <command> --help' shows a command's options\n"
                 "and what each exit code means for it.\n"
                 "exit codes (docs/exit-codes.md): 0 ok, 1 failed, 2 inconclusive, 3 bad usage or "
                 "input.\n");
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
    for (size_t i = 0; c->specs[i]; i++) {
        if (i && !markdown)
            fputc('\n', stdout);
        (markdown ? cli_opt_markdown : cli_opt_help)(stdout, c->specs[i]);
    }
}

static int help_markdown;

static const struct cli_opt help_table[] = {
    CLI_FLAG(0, "markdown", &help_markdown,
             "as docs/cli.md has it (without COMMAND: every command)"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_help_spec = {
    .name = "help",
    .synopsis = "tars help [--markdown] [COMMAND]",
    .about = "Shows the commands, or one command's options and exit codes. Both come from the\n"
             "table the command's parser reads, so they list exactly what it accepts.",
    .opts = help_table,
    .exits = "0 printed, 2 standard output could not be written, 3 unknown command",
};

static int cmd_help(int argc, char **argv)
{
    const struct cli_command *c;
    int n, rc;

    help_markdown = 0;
    rc = cli_opt_parse(&cli_help_spec, argc, argv, &n);
    if (rc)
        return cli_opt_exit(rc);
    if (n > 1)
        return cli_usage_error("help", "one command at a time, not \"%s\"", argv[2]);
    if (n == 0 && !help_markdown) {
        usage_main(stdout);
        return EXIT_OK;
    }
    if (n == 0) { /* every command: docs/cli.md */
        printf(
            "# Command-line reference\n\n"
            "<!-- Generated by `tars help --markdown` from the option tables the parsers read;\n"
            "     tests/integration/cli checks this file against the binary. -->\n\n"
            "Every command, its options and its exit codes (docs/exit-codes.md: 0 ok,\n"
            "1 failed, 2 inconclusive, 3 bad usage). An unknown or mistyped option is exit 3\n"
            "with the nearest option named (`did you mean --duration?`); a value that is not of\n"
            "the option's type or range is exit 3 with the option, the value and the rule.\n\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            print_command_help(&commands[i], true);
        return EXIT_OK;
    }
    c = cli_find_command(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    print_command_help(c, help_markdown != 0);
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
        return finish_stdout(cmd_help(1, argv + 1));
    if (strcmp(name, "--version") == 0)
        name = "version";
    c = cli_find_command(name);
    if (!c)
        return unknown_command(name);
    return finish_stdout(c->run(argc - 1, argv + 1));
}
