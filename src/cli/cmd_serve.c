/* tars serve: option parsing, secrets, demo seeding, signals. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
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
    int demo, migrate_only, takeover, help;
    char host[64];
    char db_buf[4096];
    char secret[SECRET_MAX + 1];
    size_t secret_len;
};

void usage_serve(void)
{
    printf("usage: tars serve [options]\n\n"
           "Runs the reference T.A.R.S. dashboard API (docs/serve.md, docs/api.md).\n\n"
           "  --listen HOST:PORT      TARS_LISTEN            default 127.0.0.1:3001 (DASHBOARD_PORT sets the port)\n"
           "  --db URL                TARS_DB                sqlite:PATH or postgres://...; default sqlite:DATA_DIR/tars.db\n"
           "  --data-dir DIR          TARS_DATA_DIR          default ./tars-data\n"
           "  --jwt-secret-file FILE  TARS_JWT_SECRET        the secret (>= 32 bytes); required unless --demo\n"
           "  --threads N             TARS_THREADS           default: number of CPUs\n"
           "  --log-format json|text  TARS_LOG_FORMAT        default text\n"
           "  --rate-limit-public N   TARS_RATE_LIMIT_PUBLIC per minute per address, default 30 (0 = off)\n"
           "  --rate-limit-auth N     TARS_RATE_LIMIT_AUTH   token endpoints, default 10 (0 = off)\n"
           "  --rate-limit-user N     TARS_RATE_LIMIT_USER   per principal, default 0 (off)\n"
           "  --exempt-networks CIDRS TARS_EXEMPT_NETWORKS   never rate limited, e.g. 10.0.0.0/8,::1\n"
           "  --cors-origins LIST     TARS_CORS_ORIGINS      allowed origins, comma-separated\n"
           "  --request-timeout SEC   TARS_REQUEST_TIMEOUT   cut off slow clients, default 10\n"
           "  --ws-auth MODE          TARS_WS_AUTH           /ws: required, optional (default) or off\n"
           "  --ws-max-connections N  TARS_WS_MAX_CONNECTIONS default 20000 (more are closed with 1013)\n"
           "  --ws-heartbeat DUR      TARS_WS_HEARTBEAT      heartbeat interval, default 30s\n"
           "  --ws-idle-timeout DUR   TARS_WS_IDLE_TIMEOUT   close silent clients (1001), default 300s\n"
           "  --ws-metrics-interval DUR TARS_WS_METRICS_INTERVAL \"metrics\" channel period, default 10s\n"
           "  --ws-replay N           TARS_WS_REPLAY         messages kept per channel for resume, default 1024\n"
           "  --ws-send-queue N       TARS_WS_SEND_QUEUE     messages queued per connection, default 1024\n"
           "  --migrate-only          apply database migrations and exit\n"
           "  --takeover              share the port with a running tars serve (zero-downtime\n"
           "                          replacement: start the new one, then SIGTERM the old one)\n"
           "  --demo                  seed demo data and users (passwords in DATA_DIR/credentials.json)\n"
           "  -h, --help              show this help\n");
}

static int parse_args(int argc, char **argv, struct serve_opts *o)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},        {"db", required_argument, NULL, 'd'},
        {"data-dir", required_argument, NULL, 'D'},      {"jwt-secret-file", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},       {"log-format", required_argument, NULL, 'f'},
        {"rate-limit-public", required_argument, NULL, 'P'}, {"rate-limit-auth", required_argument, NULL, 'A'},
        {"rate-limit-user", required_argument, NULL, 'U'},   {"exempt-networks", required_argument, NULL, 'x'},
        {"cors-origins", required_argument, NULL, 'c'},  {"request-timeout", required_argument, NULL, 'T'},
        {"migrate-only", no_argument, NULL, 'm'},        {"demo", no_argument, NULL, 'Z'},
        {"takeover", no_argument, NULL, 'K'},
        {"ws-auth", required_argument, NULL, 1001},      {"ws-max-connections", required_argument, NULL, 1002},
        {"ws-heartbeat", required_argument, NULL, 1003}, {"ws-idle-timeout", required_argument, NULL, 1004},
        {"ws-metrics-interval", required_argument, NULL, 1005}, {"ws-replay", required_argument, NULL, 1006},
        {"ws-send-queue", required_argument, NULL, 1007},
        {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0}};
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o->listen = optarg; break;
        case 'd': o->db = optarg; break;
        case 'D': o->data_dir = optarg; break;
        case 's': o->secret_file = optarg; break;
        case 't': o->threads = optarg; break;
        case 'f': o->log_format = optarg; break;
        case 'P': o->rl_public = optarg; break;
        case 'A': o->rl_auth = optarg; break;
        case 'U': o->rl_user = optarg; break;
        case 'x': o->exempt = optarg; break;
        case 'c': o->cors = optarg; break;
        case 'T': o->timeout = optarg; break;
        case 'm': o->migrate_only = 1; break;
        case 1001: o->ws_auth = optarg; break;
        case 1002: o->ws_max = optarg; break;
        case 1003: o->ws_heartbeat = optarg; break;
        case 1004: o->ws_idle = optarg; break;
        case 1005: o->ws_metrics = optarg; break;
        case 1006: o->ws_replay = optarg; break;
        case 1007: o->ws_queue = optarg; break;
        case 'Z': o->demo = 1; break;
        case 'K': o->takeover = 1; break;
        case 'h': o->help = 1; usage_serve(); return 0;
        default:
            return cli_usage_error("serve", "unknown or incomplete option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument \"%s\"", argv[optind]);
    return 0;
}

static int read_secret_file(const char *path, struct serve_opts *o)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        fprintf(stderr, "tars serve: cannot read the JWT secret file \"%s\": %s\n", path, strerror(errno));
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
        cli_usage_error("serve", "no JWT secret: give --jwt-secret-file or TARS_JWT_SECRET (or --demo)");
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
    fprintf(stderr, "tars serve: cannot create the data directory \"%s\": %s\n", dir, strerror(errno));
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
        cli_usage_error("serve", "%s must be a duration from 100ms to 24h (e.g. 30s), not \"%s\"", name, v);
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
        return cli_usage_error("serve", "ws-auth must be required, optional or off, not \"%s\"", v), -1;
    return 0;
}

/* The WebSocket settings (docs/serve.md). */
static int build_ws_config(struct serve_opts *o, struct tars_server_config *cfg)
{
    int64_t max, replay, queue;

    if (parse_ws_auth(cli_env_or(o->ws_auth, "TARS_WS_AUTH", "optional"), &cfg->ws_auth) ||
        parse_count("ws-max-connections", cli_env_or(o->ws_max, "TARS_WS_MAX_CONNECTIONS", "20000"), 1, 1000000, &max) ||
        parse_duration("ws-heartbeat", cli_env_or(o->ws_heartbeat, "TARS_WS_HEARTBEAT", "30s"), &cfg->ws_heartbeat_ms) ||
        parse_duration("ws-idle-timeout", cli_env_or(o->ws_idle, "TARS_WS_IDLE_TIMEOUT", "300s"), &cfg->ws_idle_timeout_ms) ||
        parse_duration("ws-metrics-interval", cli_env_or(o->ws_metrics, "TARS_WS_METRICS_INTERVAL", "10s"), &cfg->ws_metrics_interval_ms) ||
        parse_count("ws-replay", cli_env_or(o->ws_replay, "TARS_WS_REPLAY", "1024"), 1, 1000000, &replay) ||
        parse_count("ws-send-queue", cli_env_or(o->ws_queue, "TARS_WS_SEND_QUEUE", "1024"), 1, 1000000, &queue))
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
        snprintf(listen_buf, sizeof(listen_buf), "127.0.0.1:%s", port_env && *port_env ? port_env : "3001");
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
        return cli_usage_error("serve", "log format must be json or text, not \"%s\"", o->log_format), -1;
    tars_log_configure(fmt, TARS_LOG_INFO);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->threads || getenv("TARS_THREADS")) {
        if (parse_count("threads", cli_env_or(o->threads, "TARS_THREADS", "1"), 1, 64, &n))
            return -1;
    }
    cfg->threads = n > 0 ? (int)n : 1;
    if (parse_count("rate-limit-public", cli_env_or(o->rl_public, "TARS_RATE_LIMIT_PUBLIC", "30"), 0, 1000000000, &cfg->rate_limit_public) ||
        parse_count("rate-limit-auth", cli_env_or(o->rl_auth, "TARS_RATE_LIMIT_AUTH", "10"), 0, 1000000000, &cfg->rate_limit_auth) ||
        parse_count("rate-limit-user", cli_env_or(o->rl_user, "TARS_RATE_LIMIT_USER", "0"), 0, 1000000000, &cfg->rate_limit_user) ||
        parse_count("request-timeout", cli_env_or(o->timeout, "TARS_REQUEST_TIMEOUT", "10"), 1, 3600, &n))
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
    struct serve_opts *o = xcalloc(1, sizeof(*o));
    struct tars_server_config cfg;
    int rc = parse_args(argc, argv, o);

    if (rc || o->help)
        goto out;
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
    free(o);
    return rc;
}
