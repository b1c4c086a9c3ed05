/*
 * The command-line front end: one cmd_<name>.c per subcommand, listed in the
 * table in main.c. Only src/cli talks to the terminal and chooses exit codes.
 */
#ifndef TARS_CLI_H
#define TARS_CLI_H

#include <signal.h>
#include <stddef.h>

/* Exit codes shared by every command (docs/exit-codes.md). */
enum {
    EXIT_OK = 0,           /* all good */
    EXIT_FAILED = 1,       /* something failed its threshold */
    EXIT_INCONCLUSIVE = 2, /* errors, or skips under --strict */
    EXIT_USAGE = 3,        /* bad usage or bad input file */
};

struct cli_spec;

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const struct cli_spec *const *specs; /* its option tables (opt.h), NULL-terminated */
};

const struct cli_command *cli_find_command(const char *name);
/* Every command, sorted by name. */
const struct cli_command *cli_commands(size_t *count);

/* "tars <cmd>: <message>" plus a hint, to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set by SIGINT/SIGTERM once cli_catch_interrupt ran: the command stops
 * with its results so far and exits 2 (docs/exit-codes.md). The first
 * signal says so on stderr; a second one takes the default action. */
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_interrupt(void);

/* Reads an option from argv or the environment: returns the first non-NULL. */
const char *cli_env_or(const char *value, const char *env_name, const char *fallback);

int cmd_validate(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_db_bench(int argc, char **argv);
int cmd_db_seed(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ws_stress(int argc, char **argv);
int cmd_api_snapshot(int argc, char **argv);
int cmd_db_integrity(int argc, char **argv);
int cmd_signoff(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_completion(int argc, char **argv);

/* Each command's option tables (opt.h), defined in its cmd_<name>.c. */
extern const struct cli_spec cli_load_spec, cli_load_merge_spec, cli_help_spec, cli_completion_spec;

extern const struct cli_spec cli_report_spec;
extern const struct cli_spec cli_compare_spec;
extern const struct cli_spec cli_api_snapshot_spec;
extern const struct cli_spec cli_db_integrity_spec;
extern const struct cli_spec cli_version_spec;
extern const struct cli_spec cli_user_spec;
extern const struct cli_spec cli_ws_stress_spec;
extern const struct cli_spec cli_db_bench_spec;
extern const struct cli_spec cli_db_seed_spec;
extern const struct cli_spec cli_serve_spec;
extern const struct cli_spec cli_release_spec;
extern const struct cli_spec cli_package_spec;
extern const struct cli_spec cli_signoff_spec;
extern const struct cli_spec cli_promote_spec;
extern const struct cli_spec cli_validate_spec;
#endif
