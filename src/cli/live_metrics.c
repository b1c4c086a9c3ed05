/* The live metrics options shared by tars load and tars ws-stress. */
#include "live_metrics.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tars/clock.h"
#include "tars/net.h"
#include "tars/str.h"

int cli_metrics_check(const char *cmd, struct cli_metrics_opts *o)
{
    char host[64];
    int port;

    if (o->linger_ms >= 0 && !o->listen)
        return cli_usage_error(cmd, "--metrics-linger needs --metrics-listen");
    if (o->linger_ms > CLI_METRICS_LINGER_MAX_MS)
        return cli_usage_error(cmd, "--metrics-linger must be at most 1h");
    if (o->allow_remote && !o->listen)
        return cli_usage_error(cmd, "--metrics-allow-remote needs --metrics-listen");
    if (!o->listen)
        return 0;
    if (tars_net_parse_listen(o->listen, host, sizeof(host), &port))
        return cli_usage_error(cmd, "bad --metrics-listen \"%s\" (HOST:PORT, e.g. 127.0.0.1:9464)",
                               o->listen);
    if (!o->allow_remote && !tars_net_is_loopback(host))
        return cli_usage_error(cmd,
                               "--metrics-listen \"%s\" is not a loopback address; add "
                               "--metrics-allow-remote to serve the metrics to other hosts",
                               o->listen);
    return 0;
}

int cli_metrics_listen(const char *cmd, const struct cli_metrics_opts *o, bool quiet,
                       tars_expo_server **out)
{
    struct tars_err err = TARS_ERR_INIT;
    char host[64];
    int port;

    *out = NULL;
    if (!o->listen)
        return 0;
    if (tars_net_parse_listen(o->listen, host, sizeof(host), &port))
        return cli_usage_error(cmd, "bad --metrics-listen \"%s\"", o->listen);
    *out = tars_expo_server_listen(host, port, o->allow_remote, &err);
    if (!*out) {
        fprintf(stderr, "tars %s: --metrics-listen: %s\n", cmd, err.msg);
        return err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    if (!quiet)
        fprintf(stderr, "tars %s: live metrics on http://%s%s%s:%d/metrics\n", cmd,
                strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
                tars_expo_server_port(*out));
    return 0;
}

int cli_metrics_serve(const char *cmd, tars_expo_server *s, tars_expo_render_fn render, void *ctx)
{
    struct tars_err err = TARS_ERR_INIT;

    if (s && tars_expo_server_run(s, render, ctx, &err)) {
        fprintf(stderr, "tars %s: --metrics-listen: %s\n", cmd, err.msg);
        return EXIT_INCONCLUSIVE;
    }
    return 0;
}

void cli_metrics_finish(tars_expo_server *s, const struct cli_metrics_opts *o)
{
    uint64_t end = tars_mono_ns() + (o->linger_ms > 0 ? (uint64_t)o->linger_ms * 1000000u : 0);
    sigset_t set;

    if (!s)
        return;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (uint64_t now = tars_mono_ns(); now < end; now = tars_mono_ns()) {
        uint64_t left = end - now;
        struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    tars_expo_server_free(s);
}
