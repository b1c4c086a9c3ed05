/* tars serve: option parsing, secrets, demo seeding, signals. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "tars/alloc.h"
#include "tars/auth.h"
#include "tars/crypto.h"
#include "tars/demo.h"
#include "tars/log.h"
#include "tars/net.h"
#include "tars/server.h"
#include "tars/store.h"
#include "tars/str.h"

#define SECRET_MAX 4096

struct serve_opts {
    const char *listen, *db, *data_dir, *secret_file, *threads, *log_format;
    const char *rl_public, *rl_auth, *rl_user, *exempt, *cors, *timeout;
    const char *ws_auth, *ws_max, *ws_heartbeat, *ws_idle, *ws_metrics, *ws_replay, *ws_queue;
    int demo, migrate_only, takeover;
    char host[64];
    char db_buf[4096];
    char secret[SECRET_MAX + 1];
    size_t secret_len;
};

/* The values are read with their environment variables (build_config), so
 * a flag and its variable are checked the same way. */
static struct serve_opts so_;

static const struct cli_opt serve_table[] = {
    CLI_STRING(0, "listen", "HOST:PORT", &so_.listen,
               "TARS_LISTEN; default 127.0.0.1:3001 (DASHBOARD_PORT sets the port)"),
    CLI_STRING(0, "db", "URL", &so_.db,
               "TARS_DB; sqlite:PATH or postgres://...; default sqlite:DATA_DIR/tars.db"),
    CLI_STRING(0, "data-dir", "DIR", &so_.data_dir, "TARS_DATA_DIR; default ./tars-data"),
    CLI_STRING(0, "jwt-secret-file", "FILE", &so_.secret_file,
               "TARS_JWT_SECRET; the secret (>= 32 bytes); required unless --demo"),
    CLI_STRING(0, "threads", "N", &so_.threads, "TARS_THREADS; default: number of CPUs"),
    CLI_STRING(0, "log-format", "json|text", &so_.log_format, "TARS_LOG_FORMAT; default text"),
    CLI_STRING(0, "rate-limit-public", "N", &so_.rl_public,
               "TARS_RATE_LIMIT_PUBLIC; per minute per address, default 30 (0 = off)"),
    CLI_STRING(0, "rate-limit-auth", "N", &so_.rl_auth,
               "TARS_RATE_LIMIT_AUTH; token endpoints, default 10 (0 = off)"),
    CLI_STRING(0, "rate-limit-user", "N", &so_.rl_user,
               "TARS_RATE_LIMIT_USER; per principal, default 0 (off)"),
    CLI_STRING(0, "exempt-networks", "CIDRS", &so_.exempt,
               "TARS_EXEMPT_NETWORKS; never rate limited, e.g. 10.0.0.0/8,::1"),
    CLI_STRING(0, "cors-origins", "LIST", &so_.cors,
               "TARS_CORS_ORIGINS; allowed origins, comma-separated"),
    CLI_STRING(0, "request-timeout", "SEC", &so_.timeout,
               "TARS_REQUEST_TIMEOUT; cut off slow clients, default 10"),
    CLI_STRING(0, "ws-auth", "MODE", &so_.ws_auth,
               "TARS_WS_AUTH; /ws: required, optional (default) or off"),
    CLI_STRING(0, "ws-max-connections", "N", &so_.ws_max,
               "TARS_WS_MAX_CONNECTIONS; default 20000 (more are closed with 1013)"),
    CLI_STRING(0, "ws-heartbeat", "DUR", &so_.ws_heartbeat,
               "TARS_WS_HEARTBEAT; heartbeat interval, default 30s"),
    CLI_STRING(0, "ws-idle-timeout", "DUR", &so_.ws_idle,
               "TARS_WS_IDLE_TIMEOUT; close silent clients (1001), default 300s"),
    CLI_STRING(0, "ws-metrics-interval", "DUR", &so_.ws_metrics,
               "TARS_WS_METRICS_INTERVAL; \"metrics\" channel period, default 10s"),
    CLI_STRING(0, "ws-replay", "N", &so_.ws_replay,
               "TARS_WS_REPLAY; messages kept per channel for resume, default 1024"),
    CLI_STRING(0, "ws-send-queue", "N", &so_.ws_queue,
               "TARS_WS_SEND_QUEUE; messages queued per connection, default 1024"),
    CLI_FLAG(0, "migrate-only", &so_.migrate_only, "apply database migrations and exit"),
    CLI_FLAG(0, "takeover", &so_.takeover,
             "share the port with a running tars serve (zero-downtime\n"
             "replacement: start the new one, then SIGTERM the old one)"),
    CLI_FLAG(0, "demo", &so_.demo,
             "seed demo data and users (passwords in DATA_DIR/credentials.json)"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_serve_spec = {
    .name = "serve",
    .synopsis = "tars serve [options]",
    .about = "Runs the reference T.A.R.S. dashboard API (docs/serve.md, docs/api.md).\n"
             "Each option's environment variable is named first in its line; the flag wins.",
    .opts = serve_table,
    .exits = "0 stopped cleanly on SIGTERM/SIGINT (or --migrate-only applied the migrations),\n"
             "2 could not start (database, migration, address), 3 bad usage, JWT secret,\n"
             "threads, CIDR list or listen address",
};

static int parse_args(int argc, char **argv, struct serve_opts *o)
{
    int n, rc;

    (void)o; /* the table writes into so_, which o is */
    rc = cli_opt_parse(&cli_serve_spec, argc, argv, &n);
    if (rc)
        return rc;
    if (n > 0)
        return cli_usage_error("serve", "unexpected argument \"%s\"", argv[1]);
    return 0;
}

static int read_secret_file(const char *path, struct serve_opts *o)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        fprintf(stderr, "tars serve: cannot read the JWT secret file \"%s\": %s\n", path,
                strerror(errno));
        return -1;
    }
    n = read(fd, o->secret, SECRET_MAX);
    close(fd);
    if (n < 0)
        return -1;
    while (n > 0 && (o->secret[n - 1] == '\n' || o->secret[n - 1] == '\r'))
        n--;
    o->secret[n] = '\0';
    o->secret_len = (size_t)n;
    return 0;
}

/* --demo: a secret generated once into DATA_DIR/jwt-secret (0600). */
static int demo_secret(struct serve_opts *o)
{
    char path[4096];
    uint8_t raw[48];
    char text[80];
    int fd;

    snprintf(path, sizeof(path), "%s/jwt-secret", o->data_dir);
    if (access(path, F_OK) == 0)
        return read_secret_file(path, o);
    tars_random_bytes(raw, sizeof(raw));
    tars_base64url_encode(raw, sizeof(raw), text);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        fprintf(stderr, "tars serve: cannot write \"%s\": %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    explicit_bzero(raw, sizeof(raw));
    explicit_bzero(text, sizeof(text));
    return read_secret_file(path, o);
}

static int load_secret(struct serve_opts *o)
{
    const char *env = getenv("TARS_JWT_SECRET");

    if (o->secret_file && read_secret_file(o->secret_file, o))
        return -1;
    if (!o->secret_file && env && *env) {
        o->secret_len = tars_strlcpy(o->secret, env, sizeof(o->secret));
        if (o->secret_len > SECRET_MAX)
            o->secret_len = SECRET_MAX;
    }
    if (!o->secret_len && o->demo && demo_secret(o))
        return -1;
    if (!o->secret_len) {
        cli_usage_error("serve",
                        "no JWT secret: give --jwt-secret-file or TARS_JWT_SECRET (or --demo)");
        return -1;
    }
    if (o->secret_len < TARS_JWT_SECRET_MIN) {
        cli_usage_error("serve", "the JWT secret must be at least %d bytes", TARS_JWT_SECRET_MIN);
        return -1;
    }
    return 0;
}

static int make_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "tars serve: cannot create the data directory \"%s\": %s\n", dir,
            strerror(errno));
    return -1;
}

static int parse_count(const char *name, const char *v, int64_t min, int64_t max, int64_t *out)
{
    if (tars_parse_i64(v, min, max, out)) {
        cli_usage_error("serve", "%s must be an integer in %lld..%lld, not \"%s\"", name,
                        (long long)min, (long long)max, v);
        return -1;
    }
    return 0;
}

static int parse_duration(const char *name, const char *v, int64_t *ms)
{
    if (tars_duration_parse(v, ms) || *ms < 100 || *ms > 24LL * 3600 * 1000) {
        cli_usage_error("serve", "%s must be a duration from 100ms to 24h (e.g. 30s), not \"%s\"",
                        name, v);
        return -1;
    }
    return 0;
}

static int parse_ws_auth(const char *v, int *mode)
{
    if (strcmp(v, "required") == 0)
        *mode = TARS_WS_AUTH_REQUIRED;
    else if (strcmp(v, "optional") == 0)
        *mode = TARS_WS_AUTH_OPTIONAL;
    else if (strcmp(v, "off") == 0)
        *mode = TARS_WS_AUTH_OFF;
    else
        return cli_usage_error("serve", "ws-auth must be required, optional or off, not \"%s\"", v),
               -1;
    return 0;
}

/* The WebSocket settings (docs/serve.md). */
static int build_ws_config(struct serve_opts *o, struct tars_server_config *cfg)
{
    int64_t max, replay, queue;

    if (parse_ws_auth(cli_env_or(o->ws_auth, "TARS_WS_AUTH", "optional"), &cfg->ws_auth) ||
        parse_count("ws-max-connections", cli_env_or(o->ws_max, "TARS_WS_MAX_CONNECTIONS", "20000"),
                    1, 1000000, &max) ||
        parse_duration("ws-heartbeat", cli_env_or(o->ws_heartbeat, "TARS_WS_HEARTBEAT", "30s"),
                       &cfg->ws_heartbeat_ms) ||
        parse_duration("ws-idle-timeout", cli_env_or(o->ws_idle, "TARS_WS_IDLE_TIMEOUT", "300s"),
                       &cfg->ws_idle_timeout_ms) ||
        parse_duration("ws-metrics-interval",
                       cli_env_or(o->ws_metrics, "TARS_WS_METRICS_INTERVAL", "10s"),
                       &cfg->ws_metrics_interval_ms) ||
        parse_count("ws-replay", cli_env_or(o->ws_replay, "TARS_WS_REPLAY", "1024"), 1, 1000000,
                    &replay) ||
        parse_count("ws-send-queue", cli_env_or(o->ws_queue, "TARS_WS_SEND_QUEUE", "1024"), 1,
                    1000000, &queue))
        return -1;
    cfg->ws_max_connections = (int)max;
    cfg->ws_replay = (int)replay;
    cfg->ws_send_queue = (int)queue;
    return 0;
}

/* Fills cfg from the options and the environment; -1 after a usage error. */
static int build_config(struct serve_opts *o, struct tars_server_config *cfg)
{
    const char *port_env = getenv("DASHBOARD_PORT");
    char listen_buf[128];
    int64_t n;
    enum tars_log_format fmt;

    memset(cfg, 0, sizeof(*cfg));
    o->listen = cli_env_or(o->listen, "TARS_LISTEN", NULL);
    if (!o->listen) {
        snprintf(listen_buf, sizeof(listen_buf), "127.0.0.1:%s",
                 port_env && *port_env ? port_env : "3001");
        o->listen = listen_buf;
    }
    if (tars_net_parse_listen(o->listen, o->host, sizeof(o->host), &cfg->listen_port))
        return cli_usage_error("serve", "listen address \"%s\" is not HOST:PORT", o->listen), -1;
    cfg->listen_host = o->host;
    o->data_dir = cli_env_or(o->data_dir, "TARS_DATA_DIR", "./tars-data");
    o->db = cli_env_or(o->db, "TARS_DB", NULL);
    if (!o->db) {
        snprintf(o->db_buf, sizeof(o->db_buf), "sqlite:%s/tars.db", o->data_dir);
        o->db = o->db_buf;
    }
    cfg->db_url = o->db;
    o->log_format = cli_env_or(o->log_format, "TARS_LOG_FORMAT", "text");
    if (tars_log_parse_format(o->log_format, &fmt))
        return cli_usage_error("serve", "log format must be json or text, not \"%s\"",
                               o->log_format),
               -1;
    tars_log_configure(fmt, TARS_LOG_INFO);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->threads || getenv("TARS_THREADS")) {
        if (parse_count("threads", cli_env_or(o->threads, "TARS_THREADS", "1"), 1, 64, &n))
            return -1;
    }
    cfg->threads = n > 0 ? (int)n : 1;
    if (parse_count("rate-limit-public", cli_env_or(o->rl_public, "TARS_RATE_LIMIT_PUBLIC", "30"),
                    0, 1000000000, &cfg->rate_limit_public) ||
        parse_count("rate-limit-auth", cli_env_or(o->rl_auth, "TARS_RATE_LIMIT_AUTH", "10"), 0,
                    1000000000, &cfg->rate_limit_auth) ||
        parse_count("rate-limit-user", cli_env_or(o->rl_user, "TARS_RATE_LIMIT_USER", "0"), 0,
                    1000000000, &cfg->rate_limit_user) ||
        parse_count("request-timeout", cli_env_or(o->timeout, "TARS_REQUEST_TIMEOUT", "10"), 1,
                    3600, &n))
        return -1;
    cfg->request_timeout_s = (int)n;
    cfg->shutdown_timeout_s = 10;
    cfg->exempt_networks = cli_env_or(o->exempt, "TARS_EXEMPT_NETWORKS", NULL);
    cfg->cors_origins = cli_env_or(o->cors, "TARS_CORS_ORIGINS", NULL);
    return build_ws_config(o, cfg);
}

/* Migrations (and demo data) before the server starts. */
static int prepare_database(const struct serve_opts *o)
{
    struct tars_err err = TARS_ERR_INIT;
    char creds[4096];
    int applied = 0, rc;
    tars_store *st = tars_store_open(o->db, &err);

    if (!st) {
        fprintf(stderr, "tars serve: %s\n", err.msg);
        return err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    rc = tars_store_migrate(st, &applied, &err);
    if (rc == 0 && o->migrate_only)
        printf("migrations: %d applied, database up to date\n", applied);
    if (rc == 0 && o->demo) {
        snprintf(creds, sizeof(creds), "%s/credentials.json", o->data_dir);
        rc = tars_demo_seed_data(st, &err);
        if (rc == 0)
            rc = tars_demo_seed_users(st, creds, &err);
    }
    tars_store_close(st);
    if (rc) {
        fprintf(stderr, "tars serve: %s\n", err.msg);
        return EXIT_INCONCLUSIVE;
    }
    return EXIT_OK;
}

/* Where the demo passwords are and how to turn one into a token; the
 * password itself is read by the command the user runs, never printed. */
static void print_demo_hint(const struct serve_opts *o, int port)
{
    char dir[4096];
    const char *host = strcmp(o->host, "0.0.0.0") == 0 || o->host[0] == '\0' ? "127.0.0.1"
                       : strcmp(o->host, "::") == 0                          ? "::1"
                                                                             : o->host;

    if (!realpath(o->data_dir, dir))
        tars_strlcpy(dir, o->data_dir, sizeof(dir));
    fprintf(stderr,
            "demo users viewer, developer and admin: passwords in %s/credentials.json (mode 0600)\n"
            "get a token (the password is read from that file, not shown):\n"
            "  curl -s http://%s%s%s:%d/api/v1/auth/token -H 'Content-Type: application/json' "
            "-d \"$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))[\"users\"][2]; "
            "print(json.dumps({\"username\": u[\"username\"], \"password\": u[\"password\"]}))' "
            "%s/credentials.json)\"\n",
            dir, strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, dir);
}

static int run_until_signal(const struct tars_server_config *cfg, const struct serve_opts *o)
{
    struct tars_err err = TARS_ERR_INIT;
    sigset_t set;
    tars_server *srv;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server's threads inherit this */
    signal(SIGPIPE, SIG_IGN);
    srv = tars_server_start(cfg, &err);
    if (!srv) {
        fprintf(stderr, "tars serve: %s\n", err.msg);
        return err.code == TARS_EINVAL ? EXIT_USAGE : EXIT_INCONCLUSIVE;
    }
    tars_log(TARS_LOG_INFO, NULL, NULL, "listening on http://%s%s%s:%d (%d threads, %s)",
             strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
             strchr(cfg->listen_host, ':') ? "]" : "", tars_server_port(srv), cfg->threads,
             strncmp(cfg->db_url, "postgres", 8) == 0 ? "postgres" : "sqlite");
    if (o->demo)
        print_demo_hint(o, tars_server_port(srv));
    sigwait(&set, &sig);
    tars_log(TARS_LOG_INFO, NULL, NULL, "signal %d: finishing in-flight requests", sig);
    tars_server_stop(srv);
    tars_log(TARS_LOG_INFO, NULL, NULL, "stopped");
    return EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts *o = &so_;
    struct tars_server_config cfg;
    int rc;

    memset(o, 0, sizeof(*o));
    rc = parse_args(argc, argv, o);
    if (rc) {
        rc = cli_opt_exit(rc);
        goto out;
    }
    rc = EXIT_USAGE;
    if (build_config(o, &cfg) || make_data_dir(o->data_dir))
        goto out;
    rc = prepare_database(o);
    if (rc || o->migrate_only)
        goto out;
    rc = EXIT_USAGE;
    if (load_secret(o))
        goto out;
    cfg.jwt_secret = o->secret;
    cfg.jwt_secret_len = o->secret_len;
    cfg.takeover = o->takeover;
    rc = run_until_signal(&cfg, o);
out:
    explicit_bzero(o, sizeof(*o));
    return rc;
}
