/* --metrics-listen, --metrics-allow-remote, --metrics-linger of tars load and
 * tars ws-stress: the live Prometheus exposition (docs/metrics.md). */
#ifndef TARS_CLI_LIVE_METRICS_H
#define TARS_CLI_LIVE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "tars/expo.h"

#define CLI_METRICS_LINGER_MAX_MS (3600 * 1000)

/* The three options' entries in a command's table (opt.h), writing into
 * struct cli_metrics_opts m; env names the variable --metrics-listen falls
 * back on. */
#define CLI_METRICS_OPTIONS(m, env)                                                                \
    CLI_ENV_OPT(CLI_OPT_STRING, "metrics-listen", "HOST:PORT", &(m).listen, 0, 0, NULL, env,       \
                "serve live Prometheus metrics (/metrics) while the run lasts\n"                   \
                "(docs/metrics.md); a loopback address unless --metrics-allow-remote"),            \
        CLI_FLAG(0, "metrics-allow-remote", &(m).allow_remote,                                     \
                 "allow a --metrics-listen address that is not loopback"),                         \
        CLI_DURATION(0, "metrics-linger", "D", &(m).linger_ms, 0, CLI_METRICS_LINGER_MAX_MS,       \
                     "keep serving the final figures for D after the run (or until\n"              \
                     "SIGINT/SIGTERM), so that a scraper sees them; default 0s")

struct cli_metrics_opts {
    const char *listen; /* HOST:PORT or NULL: no server */
    int64_t linger_ms;  /* -1: not given */
    int allow_remote;
};

/* Checks the options before anything runs: EXIT_USAGE with a message. */
int cli_metrics_check(const char *cmd, struct cli_metrics_opts *o);
/* Binds the address (nothing when o->listen is NULL: *out NULL). A port in
 * use is EXIT_INCONCLUSIVE with a message, before any load is sent. */
int cli_metrics_listen(const char *cmd, const struct cli_metrics_opts *o, bool quiet,
                       tars_expo_server **out);
/* Starts serving (call after blocking SIGINT/SIGTERM: the thread inherits the mask). */
int cli_metrics_serve(const char *cmd, tars_expo_server *s, tars_expo_render_fn render, void *ctx);
/* After the run: serves the final figures for o->linger_ms, or until
 * SIGINT/SIGTERM (blocked by the caller), then stops the server. */
void cli_metrics_finish(tars_expo_server *s, const struct cli_metrics_opts *o);

#endif
