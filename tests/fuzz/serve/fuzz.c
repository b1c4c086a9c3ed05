/*
 * Requests to a real `tars serve`, past h2o: lib/server runs in this process
 * on a loopback port (one loop thread, the writer, SQLite on tmpfs seeded
 * with the demo data and users), and every input is one request that h2o
 * parses and tars' own code answers: routing and path parameters, query
 * strings, authentication (JWT access and refresh tokens, API keys), the
 * traceparent header, the CORS origin check, every handler with its JSON
 * body, the writer and the store. A path under /ws upgrades to the WebSocket
 * feed instead, and each line of the body is one client message (the
 * server's on_text: subscribe, since_seq, ping, ...).
 *
 * Input, lines split on '\n' (a '\r' is dropped, so the request stays one
 * request):
 *   1  METHOD PATH[?QUERY]
 *   2  credential: @viewer, @developer, @admin (a valid access token of that
 *      demo user), @refresh (a valid refresh token), @key (a valid API key);
 *      anything else is sent as the Authorization header as it is; empty: none
 *   3  traceparent (empty: none)
 *   4  Origin (empty: none)
 *   the rest: the body (with Content-Type: application/json when not empty)
 * An answer that does not come within ANSWER_MS is a finding (abort), with
 * the last requests (and see keep_evidence). libFuzzer's -timeout interrupts
 * this thread with SIGALRM (every timeout/2 + 1 s, without SA_RESTART): every
 * wait and every send or recv here goes on after a signal, on its deadline.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "tars/auth.h"
#include "tars/clock.h"
#include "tars/demo.h"
#include "tars/log.h"
#include "tars/server.h"
#include "tars/store.h"

#define ANSWER_MS 5000 /* under libFuzzer's -timeout=10 of run.sh */
#define REQ_MAX (2 * 1024 * 1024)
#define SECRET "fuzz-secret-of-at-least-32-bytes!!"

struct harness {
    tars_server *srv;
    int port;
    int fd; /* the keep-alive connection, -1 when closed */
    char dir[128];
    char *token[4]; /* viewer, developer, admin access tokens; admin refresh token */
    char api_key[64];
};

static struct harness H = {.fd = -1};

/* ---- setting up: data, users, tokens, the server ---- */

static void die(const char *what, const struct tars_err *err)
{
    fprintf(stderr, "fuzz_serve: %s: %s\n", what, err ? err->msg : strerror(errno));
    abort();
}

static char *issue(const tars_jwt_keys *keys, tars_store *st, const char *name,
                   enum tars_token_type type)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    struct tars_user u;
    char *tok;

    if (tars_store_user_by_name(st, name, &u, &err))
        die("demo user", &err);
    memset(&p, 0, sizeof(p));
    snprintf(p.user_id, sizeof(p.user_id), "%s", u.id);
    snprintf(p.username, sizeof(p.username), "%s", u.username);
    if (tars_role_parse(u.role, &p.role))
        die("demo role", NULL);
    p.type = type;
    tok = tars_jwt_issue(keys, &p, tars_wall_ms() / 1000, &err);
    if (!tok)
        die("jwt", &err);
    return tok;
}

static void seed(const char *url)
{
    static const char *const names[] = {"viewer", "developer", "admin"};
    struct tars_err err = TARS_ERR_INIT;
    tars_jwt_keys *keys = tars_jwt_keys_new(SECRET, strlen(SECRET), &err);
    tars_store *st = tars_store_open(url, &err);
    struct tars_api_key k;
    char creds[192];

    if (!keys || !st || tars_store_migrate(st, NULL, &err) || tars_demo_seed_data(st, &err))
        die("seed", &err);
    snprintf(creds, sizeof(creds), "%s/credentials.json", H.dir);
    if (tars_demo_seed_users(st, creds, &err))
        die("demo users", &err);
    for (int i = 0; i < 3; i++)
        H.token[i] = issue(keys, st, names[i], TARS_TOKEN_ACCESS);
    H.token[3] = issue(keys, st, "admin", TARS_TOKEN_REFRESH);
    memset(&k, 0, sizeof(k));
    tars_api_key_generate(H.api_key);
    tars_api_key_hash(H.api_key, k.key_hash);
    snprintf(k.id, sizeof(k.id), "fuzz-service");
    snprintf(k.service_name, sizeof(k.service_name), "fuzz-service");
    snprintf(k.role, sizeof(k.role), "developer");
    if (tars_store_api_key_add(st, &k, &err))
        die("api key", &err);
    tars_store_close(st);
    tars_jwt_keys_free(keys);
}

static void remove_files(const char *dir)
{
    static const char *const files[] = {"tars.db", "tars.db-wal", "tars.db-shm",
                                        "credentials.json"};
    char path[320];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The data of earlier runs that crashed (tmpfs is memory): their process is gone. */
static void remove_stale(void)
{
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    char path[300];
    int pid;

    while (d && (e = readdir(d)))
        if (sscanf(e->d_name, "tars-fuzz-serve-%d", &pid) == 1 && pid > 0 && kill(pid, 0) != 0 &&
            errno == ESRCH) {
            snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
            remove_files(path);
        }
    if (d)
        closedir(d);
}

static void cleanup(void)
{
    if (H.fd >= 0)
        close(H.fd);
    tars_server_stop(H.srv);
    remove_files(H.dir);
    for (int i = 0; i < 4; i++)
        free(H.token[i]);
}

/* Binds a free port outside the ephemeral range (32768-60999). */
static void start_server(const char *url)
{
    struct tars_server_config cfg = {
        .listen_host = "127.0.0.1",
        .db_url = url,
        .jwt_secret = SECRET,
        .jwt_secret_len = strlen(SECRET),
        .threads = 1,
        .cors_origins = "https://tars.example,http://localhost:3000",
        .request_timeout_s = 5,
        .shutdown_timeout_s = 1,
        .ws_metrics_interval_ms = 3600000,
        .ws_replay = 64,
    };
    struct tars_err err = TARS_ERR_INIT;

    for (int i = 0; i < 400 && !H.srv; i++) {
        cfg.listen_port = 20000 + (int)((getpid() * 7 + i * 13) % 10000);
        H.srv = tars_server_start(&cfg, &err);
    }
    if (!H.srv)
        die("tars serve", &err);
    H.port = tars_server_port(H.srv);
}

static void set_up(void)
{
    char url[192];

    /* As `tars serve` does (src/cli/cmd_serve.c): h2o writes to a connection
     * this side may have closed already (after a WebSocket's pong, say). */
    signal(SIGPIPE, SIG_IGN);
    remove_stale();
    snprintf(H.dir, sizeof(H.dir), "/dev/shm/tars-fuzz-serve-%d", (int)getpid());
    if (mkdir(H.dir, 0700) && errno != EEXIST)
        die(H.dir, NULL);
    snprintf(url, sizeof(url), "sqlite:%s/tars.db", H.dir);
    tars_log_configure(TARS_LOG_TEXT, TARS_LOG_ERROR); /* auth failures are the point here */
    seed(url);
    start_server(url);
    atexit(cleanup);
}

/* ---- the client side ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
    if (!n)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* A header line "name: value\r\n" (value without CR or LF). */
static void header(struct buf *b, const char *name, const char *v, size_t n)
{
    puts_(b, name);
    puts_(b, ": ");
    put(b, v, n);
    puts_(b, "\r\n");
}

/* A connect interrupted by a signal (libFuzzer's timers) goes on by itself:
 * wait until it ends and take its result. */
static bool connect_goes_on(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int so_error = 0;
    socklen_t len = sizeof(so_error);

    if (errno != EINTR)
        return false;
    while (poll(&pfd, 1, ANSWER_MS) < 0 && errno == EINTR)
        ;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0 &&
           (pfd.revents & POLLOUT);
}

static int connect_server(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)H.port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        die("socket", NULL);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && !connect_goes_on(fd))
        die("connect", NULL);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the server closed on a bad request: the read sees it */
        p += w;
        n -= (size_t)w;
    }
}

/* The last requests on the keep-alive connection, newest first, for a report. */
#define KEPT 4
static struct buf last_req[KEPT];

static void remember(const struct buf *req)
{
    free(last_req[KEPT - 1].p);
    memmove(last_req + 1, last_req, (KEPT - 1) * sizeof(last_req[0]));
    memset(&last_req[0], 0, sizeof(last_req[0]));
    put(&last_req[0], req->p, req->len);
}

/* An unanswered request leaves its evidence: with FUZZ_SERVE_STALLS=DIR,
 * the last requests as DIR/stall-N-K in the order they were sent (the
 * highest K is the unanswered one), to replay against a `tars serve` with
 * tests/fuzz/serve/replay.py; with FUZZ_SERVE_ON_STALL=COMMAND, that shell
 * command runs (with PORT and PID set) while the server is still as it was,
 * for ss, gdb and the like. */
static void keep_evidence(void)
{
    static int stalls;
    const char *dir = getenv("FUZZ_SERVE_STALLS"), *cmd = getenv("FUZZ_SERVE_ON_STALL");
    char path[512], v[32];
    int k = 0;

    stalls++;
    for (int i = KEPT - 1; dir && i >= 0; i--) {
        FILE *f;
        if (!last_req[i].len)
            continue;
        snprintf(path, sizeof(path), "%s/stall-%d-%d", dir, stalls, ++k);
        if (!(f = fopen(path, "wb")) ||
            fwrite(last_req[i].p, 1, last_req[i].len, f) != last_req[i].len)
            fprintf(stderr, "fuzz_serve: cannot write %s\n", path);
        if (f)
            fclose(f);
    }
    if (cmd) {
        snprintf(v, sizeof(v), "%d", H.port);
        setenv("PORT", v, 1);
        snprintf(v, sizeof(v), "%d", (int)getpid());
        setenv("PID", v, 1);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz_serve: FUZZ_SERVE_ON_STALL failed\n");
    }
}

/* Whether fd became readable within ANSWER_MS; a signal does not end the wait. */
static bool readable(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    uint64_t deadline = tars_mono_ns() + (uint64_t)ANSWER_MS * 1000000u;

    for (;;) {
        uint64_t now = tars_mono_ns();
        int rc;
        if (now >= deadline)
            return false;
        rc = poll(&pfd, 1, (int)((deadline - now + 999999u) / 1000000u));
        if (rc == 1)
            return true;
        if (rc < 0 && errno != EINTR)
            return false;
    }
}

/* Reads more into b; 0 at EOF or on a reset. A silent server is a finding. */
static ssize_t read_more(int fd, struct buf *b)
{
    char chunk[16384];
    ssize_t n;

    if (!readable(fd)) {
        fprintf(stderr, "fuzz_serve: no answer within %d ms (%zu bytes of it) to:\n", ANSWER_MS,
                b->len);
        for (int i = 0; i < KEPT; i++) {
            fprintf(stderr, "---- request -%d:\n", i);
            if (last_req[i].len)
                fwrite(last_req[i].p, 1, last_req[i].len, stderr);
            fputc('\n', stderr);
        }
        keep_evidence();
        abort();
    }
    while ((n = recv(fd, chunk, sizeof(chunk), 0)) < 0 && errno == EINTR)
        ;
    if (n > 0)
        put(b, chunk, (size_t)n);
    return n > 0 ? n : 0;
}

static const char *find_head_end(const struct buf *b)
{
    for (size_t i = 0; i + 3 < b->len; i++)
        if (memcmp(b->p + i, "\r\n\r\n", 4) == 0)
            return b->p + i + 4;
    return NULL;
}

/* The value of a response header (case-insensitive name), or NULL. */
static const char *head_value(const char *head, size_t len, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = head; p && p < head + len;) {
        const char *eol = memchr(p, '\n', (size_t)(head + len - p));
        if ((size_t)(head + len - p) > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1;
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* Whether a chunked body after the head is complete (its last chunk, size 0,
 * and no trailer). */
static bool chunks_end(const struct buf *b, size_t head_len)
{
    size_t n = b->len - head_len;
    const char *body = b->p + head_len;

    return (n == 5 && memcmp(body, "0\r\n\r\n", 5) == 0) ||
           (n >= 7 && memcmp(body + n - 7, "\r\n0\r\n\r\n", 7) == 0);
}

/* Reads one answer; false when the connection cannot be used again. What
 * came after a 101's head (the first WebSocket frames) goes to rest. */
static bool read_answer(int fd, bool head_request, int *status, struct buf *rest)
{
    struct buf b = {0};
    const char *end, *v;
    size_t head_len, want = 0;
    bool keep = true, counted = false, chunked = false;

    while (!(end = find_head_end(&b)))
        if (!read_more(fd, &b) || b.len > 65536)
            goto closed;
    head_len = (size_t)(end - b.p);
    *status = b.len > 12 ? (int)strtol(b.p + 9, NULL, 10) : 0;
    v = head_value(b.p, head_len, "connection");
    if (v && strncasecmp(v + strspn(v, " "), "close", 5) == 0)
        keep = false;
    if ((v = head_value(b.p, head_len, "content-length"))) {
        want = strtoul(v, NULL, 10);
        counted = true;
    }
    if (head_value(b.p, head_len, "transfer-encoding"))
        chunked = true, counted = false;
    if (head_request || *status == 204 || *status == 304 || *status == 101)
        want = 0, counted = true, chunked = false; /* no body, whatever the head says */
    while (chunked ? !chunks_end(&b, head_len) : counted ? b.len - head_len < want : true)
        if (!read_more(fd, &b))
            break;
    if (rest && *status == 101)
        put(rest, b.p + head_len, b.len - head_len);
    free(b.p);
    return keep && (counted || chunked);
closed:
    free(b.p);
    return false;
}

/* ---- WebSocket client messages ---- */

static void ws_send_text(int fd, const char *p, size_t n)
{
    unsigned char head[14];
    size_t h = 0;
    struct buf b = {0};

    head[h++] = 0x81;
    if (n < 126) {
        head[h++] = (unsigned char)(0x80 | n);
    } else if (n < 65536) {
        head[h++] = 0x80 | 126;
        head[h++] = (unsigned char)(n >> 8);
        head[h++] = (unsigned char)n;
    } else {
        head[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            head[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    memset(head + h, 0, 4); /* a zero mask: the payload goes as it is */
    h += 4;
    put(&b, head, h);
    put(&b, p, n);
    send_all(fd, b.p, b.len);
    free(b.p);
}

/* Whether the frames in b hold a close frame or a text frame with the pong
 * that answers our last ping; *used says how many bytes are whole frames. */
static bool ws_done(const struct buf *b, size_t *used)
{
    const unsigned char *p = (const unsigned char *)b->p;
    size_t at = 0;

    while (at + 2 <= b->len) {
        size_t h = 2, n = p[at + 1] & 0x7f;
        if (n == 126) {
            if (at + 4 > b->len)
                break;
            n = ((size_t)p[at + 2] << 8) | p[at + 3];
            h = 4;
        } else if (n == 127) {
            if (at + 10 > b->len)
                break;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = (n << 8) | p[at + 2 + i];
            h = 10;
        }
        if (n > b->len || at + h + n > b->len)
            break;
        if ((p[at] & 0x0f) == 8)
            return true;
        if ((p[at] & 0x0f) == 1 && memmem(p + at + h, n, "\"type\":\"pong\"", 13))
            return true;
        at += h + n;
    }
    *used = at;
    return false;
}

/* Until the answer to our closing ping, a close frame or the end. */
static void ws_drain(int fd, struct buf *b)
{
    size_t used = 0;

    while (!ws_done(b, &used)) {
        if (used) { /* feed pushes: only the end matters */
            memmove(b->p, b->p + used, b->len - used);
            b->len -= used;
        }
        if (!read_more(fd, b))
            break;
    }
}

static void websocket(const char *path, size_t path_len, struct buf *hdrs, const char *body,
                      size_t body_len)
{
    struct buf req = {0}, in = {0};
    int fd = connect_server(), status = 0;

    puts_(&req, "GET ");
    put(&req, path, path_len);
    puts_(&req, " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    put(&req, hdrs->p, hdrs->len);
    puts_(&req, "\r\n");
    put(&req, body, body_len);
    remember(&req); /* with the messages, after the head */
    send_all(fd, req.p, req.len - body_len);
    free(req.p);
    if (read_answer(fd, false, &status, &in) && status == 101) {
        const char *p = body, *end = body + body_len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            ws_send_text(fd, p, n);
            p += n + (nl != NULL);
        }
        ws_send_text(fd, "{\"type\":\"ping\"}", 15);
        ws_drain(fd, &in);
    }
    free(in.p);
    close(fd);
}

/* ---- one input ---- */

static const char *line(const char **p, const char *end, size_t *len)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));

    *len = nl ? (size_t)(nl - s) : (size_t)(end - s);
    *p = nl ? nl + 1 : end;
    return s;
}

/* A copy of s without CR, LF or NUL (so a header stays one header). */
static size_t clean(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 1 < cap; i++)
        if (s[i] != '\r' && s[i] != '\n' && s[i] != '\0')
            out[k++] = s[i];
    out[k] = '\0';
    return k;
}

static void credential(struct buf *hdrs, const char *s, size_t n)
{
    static const char *const roles[] = {"@viewer", "@developer", "@admin", "@refresh"};
    char v[8192 + 64];

    for (int i = 0; i < 4; i++)
        if (n == strlen(roles[i]) && memcmp(s, roles[i], n) == 0) {
            snprintf(v, sizeof(v), "Bearer %s", H.token[i]);
            header(hdrs, "Authorization", v, strlen(v));
            return;
        }
    if (n == 4 && memcmp(s, "@key", 4) == 0) {
        snprintf(v, sizeof(v), "Bearer %s", H.api_key);
        header(hdrs, "Authorization", v, strlen(v));
        return;
    }
    if ((n = clean(s, n, v, sizeof(v))))
        header(hdrs, "Authorization", v, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *s;
    char reqline[8192], v[8192];
    struct buf hdrs = {0}, req = {0};
    size_t len, n;
    const char *sp;
    int status = 0;
    bool keep;

    if (size > REQ_MAX)
        return 0;
    if (!H.srv)
        set_up();
    s = line(&p, end, &len);
    n = clean(s, len, reqline, sizeof(reqline));
    sp = memchr(reqline, ' ', n);
    if (!sp || sp == reqline || sp + 1 == reqline + n)
        return 0;
    s = line(&p, end, &len);
    credential(&hdrs, s, len);
    s = line(&p, end, &len);
    if ((len = clean(s, len, v, sizeof(v))))
        header(&hdrs, "traceparent", v, len);
    s = line(&p, end, &len);
    if ((len = clean(s, len, v, sizeof(v))))
        header(&hdrs, "Origin", v, len);
    if (strncmp(sp + 1, "/ws", 3) == 0) {
        websocket(sp + 1, n - (size_t)(sp + 1 - reqline), &hdrs, p, (size_t)(end - p));
        free(hdrs.p);
        return 0;
    }
    put(&req, reqline, n);
    puts_(&req, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    put(&req, hdrs.p, hdrs.len);
    if (end > p)
        puts_(&req, "Content-Type: application/json\r\n");
    snprintf(v, sizeof(v), "Content-Length: %zu\r\n\r\n", (size_t)(end - p));
    puts_(&req, v);
    put(&req, p, (size_t)(end - p));
    if (H.fd < 0)
        H.fd = connect_server();
    remember(&req);
    send_all(H.fd, req.p, req.len);
    keep = read_answer(H.fd, strncmp(reqline, "HEAD ", 5) == 0, &status, NULL);
    if (!keep) {
        close(H.fd);
        H.fd = -1;
    }
    free(req.p);
    free(hdrs.p);
    return 0;
}
