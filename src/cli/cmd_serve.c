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
#include "watch.h"
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
    const char *listen, *db, *data_dir, *secret_file, *log_format, *ws_auth, *exempt, *cors;
    int threads; /* 0: the number of CPUs */
    int64_t rl_public, rl_auth, rl_user;
    int timeout_s, ws_max, ws_replay, ws_queue;
    int64_t ws_heartbeat_ms, ws_idle_ms, ws_metrics_ms;
    int demo, migrate_only, takeover;
    char host[64];
    char db_buf[4096];
    char secret[SECRET_MAX + 1];
    size_t secret_len;
};

/* The defaults, before the flags and their environment variables. */
static void serve_defaults(struct serve_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->data_dir = "./tars-data";
    o->log_format = "text";
    o->rl_public = 30;
    o->rl_auth = 10;
    o->timeout_s = 10;
    o->ws_auth = "optional";
    o->ws_max = 20000;
    o->ws_heartbeat_ms = 30000;
    o->ws_idle_ms = 300000;
    o->ws_metrics_ms = 10000;
    o->ws_replay = 1024;
    o->ws_queue = 1024;
}

static struct serve_opts so_;

static const char *const log_formats[] = {"json", "text", NULL};
static const char *const ws_auth_modes[] = {"required", "optional", "off", NULL};

#define DUR_MIN 100.0
#define DUR_MAX (24.0 * 3600 * 1000)
#define RATE_MAX 1e9
#define WS_MAX 1e6

static const struct cli_opt serve_table[] = {
    CLI_ENV_OPT(CLI_OPT_STRING, "listen", "HOST:PORT", &so_.listen, 0, 0, NULL, "TARS_LISTEN",
                "default 127.0.0.1:3001 (DASHBOARD_PORT sets the port)"),
    CLI_ENV_OPT(CLI_OPT_STRING, "db", "URL", &so_.db, 0, 0, NULL, "TARS_DB",
                "sqlite:PATH or postgres://...; default sqlite:DATA_DIR/tars.db"),
    CLI_ENV_OPT(CLI_OPT_STRING, "data-dir", "DIR", &so_.data_dir, 0, 0, NULL, "TARS_DATA_DIR",
                "default ./tars-data"),
    CLI_STRING(0, "jwt-secret-file", "FILE", &so_.secret_file,
               "the secret (>= 32 bytes); required unless --demo\n"
               "(or TARS_JWT_SECRET, which holds the secret itself)"),
    CLI_ENV_OPT(CLI_OPT_INT, "threads", "N", &so_.threads, 1, 64, NULL, "TARS_THREADS",
                "default: number of CPUs"),
    CLI_ENV_OPT(CLI_OPT_ENUM, "log-format", "FORMAT", &so_.log_format, 0, 0, log_formats,
                "TARS_LOG_FORMAT", "default text"),
    CLI_ENV_OPT(CLI_OPT_I64, "rate-limit-public", "N", &so_.rl_public, 0, RATE_MAX, NULL,
                "TARS_RATE_LIMIT_PUBLIC", "per minute per address, default 30 (0 = off)"),
    CLI_ENV_OPT(CLI_OPT_I64, "rate-limit-auth", "N", &so_.rl_auth, 0, RATE_MAX, NULL,
                "TARS_RATE_LIMIT_AUTH", "token endpoints, default 10 (0 = off)"),
    CLI_ENV_OPT(CLI_OPT_I64, "rate-limit-user", "N", &so_.rl_user, 0, RATE_MAX, NULL,
                "TARS_RATE_LIMIT_USER", "per principal, default 0 (off)"),
    CLI_ENV_OPT(CLI_OPT_STRING, "exempt-networks", "CIDRS", &so_.exempt, 0, 0, NULL,
                "TARS_EXEMPT_NETWORKS", "never rate limited, e.g. 10.0.0.0/8,::1"),
    CLI_ENV_OPT(CLI_OPT_STRING, "cors-origins", "LIST", &so_.cors, 0, 0, NULL, "TARS_CORS_ORIGINS",
                "allowed origins, comma-separated"),
    CLI_ENV_OPT(CLI_OPT_INT, "request-timeout", "SEC", &so_.timeout_s, 1, 3600, NULL,
                "TARS_REQUEST_TIMEOUT", "cut off slow clients, default 10"),
    CLI_ENV_OPT(CLI_OPT_ENUM, "ws-auth", "MODE", &so_.ws_auth, 0, 0, ws_auth_modes, "TARS_WS_AUTH",
                "who may use /ws, default optional"),
    CLI_ENV_OPT(CLI_OPT_INT, "ws-max-connections", "N", &so_.ws_max, 1, WS_MAX, NULL,
                "TARS_WS_MAX_CONNECTIONS", "default 20000 (more are closed with 1013)"),
    CLI_ENV_OPT(CLI_OPT_DURATION, "ws-heartbeat", "DUR", &so_.ws_heartbeat_ms, DUR_MIN, DUR_MAX,
                NULL, "TARS_WS_HEARTBEAT", "heartbeat interval, default 30s"),
    CLI_ENV_OPT(CLI_OPT_DURATION, "ws-idle-timeout", "DUR", &so_.ws_idle_ms, DUR_MIN, DUR_MAX, NULL,
                "TARS_WS_IDLE_TIMEOUT", "close silent clients (1001), default 300s"),
    CLI_ENV_OPT(CLI_OPT_DURATION, "ws-metrics-interval", "DUR", &so_.ws_metrics_ms, DUR_MIN,
                DUR_MAX, NULL, "TARS_WS_METRICS_INTERVAL",
                "\"metrics\" channel period, default 10s"),
    CLI_ENV_OPT(CLI_OPT_INT, "ws-replay", "N", &so_.ws_replay, 1, WS_MAX, NULL, "TARS_WS_REPLAY",
                "messages kept per channel for resume, default 1024"),
    CLI_ENV_OPT(CLI_OPT_INT, "ws-send-queue", "N", &so_.ws_queue, 1, WS_MAX, NULL,
                "TARS_WS_SEND_QUEUE", "messages queued per connection, default 1024"),
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
             "An option with an environment variable (env in its line) not given as a flag\n"
             "is read from that variable, when set and not empty, with the same checks.",
    .opts = serve_table,
    .exits = "0 stopped cleanly on SIGTERM/SIGINT (or --migrate-only applied the migrations),\n"
             "2 could not start (database, migration, address), 3 bad usage, JWT secret,\n"
             "an option's value, CIDR list or listen address",
};

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

static int ws_auth_mode(const char *name)
{
    return strcmp(name, "required") == 0 ? TARS_WS_AUTH_REQUIRED
           : strcmp(name, "off") == 0    ? TARS_WS_AUTH_OFF
                                         : TARS_WS_AUTH_OPTIONAL;
}

/* Fills cfg from the options (read with their environment variables by the
 * option table); -1 after a usage error. */
static int build_config(struct serve_opts *o, struct tars_server_config *cfg)
{
    const char *port_env = getenv("DASHBOARD_PORT");
    char listen_buf[128];
    enum tars_log_format fmt;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof(*cfg));
    if (!o->listen) {
        snprintf(listen_buf, sizeof(listen_buf), "127.0.0.1:%s",
                 port_env && *port_env ? port_env : "3001");
        o->listen = listen_buf;
    }
    if (tars_net_parse_listen(o->listen, o->host, sizeof(o->host), &cfg->listen_port))
        return cli_usage_error("serve", "listen address \"%s\" is not HOST:PORT", o->listen), -1;
    cfg->listen_host = o->host;
    if (!o->db) {
        snprintf(o->db_buf, sizeof(o->db_buf), "sqlite:%s/tars.db", o->data_dir);
        o->db = o->db_buf;
    }
    cfg->db_url = o->db;
    if (tars_log_parse_format(o->log_format, &fmt) == 0)
        tars_log_configure(fmt, TARS_LOG_INFO);
    cfg->threads = o->threads ? o->threads : cpus > 0 ? (int)cpus : 1;
    cfg->rate_limit_public = o->rl_public;
    cfg->rate_limit_auth = o->rl_auth;
    cfg->rate_limit_user = o->rl_user;
    cfg->request_timeout_s = o->timeout_s;
    cfg->shutdown_timeout_s = 10;
    cfg->exempt_networks = o->exempt;
    cfg->cors_origins = o->cors;
    cfg->ws_auth = ws_auth_mode(o->ws_auth);
    cfg->ws_max_connections = o->ws_max;
    cfg->ws_heartbeat_ms = o->ws_heartbeat_ms;
    cfg->ws_idle_timeout_ms = o->ws_idle_ms;
    cfg->ws_metrics_interval_ms = o->ws_metrics_ms;
    cfg->ws_replay = o->ws_replay;
    cfg->ws_send_queue = o->ws_queue;
    return 0;
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

    cli_block_stop_signals(&set); /* the server's threads inherit this */
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

    serve_defaults(o); /* the table writes into so_, which o is */
    rc = cli_opt_parse_no_operands(&cli_serve_spec, argc, argv);
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
