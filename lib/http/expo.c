/* Prometheus text exposition and its scrape server (see tars/expo.h). */
#include "tars/expo.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/net.h"

const double tars_expo_bucket_bounds[TARS_EXPO_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10};

int tars_expo_label(struct tars_buf *out, const char *value)
{
    int rc = 0;

    for (const char *v = value; *v && !rc; v++) {
        if (*v == '\\' || *v == '"')
            rc = tars_buf_printf(out, "\\%c", *v);
        else if (*v == '\n')
            rc = tars_buf_puts(out, "\\n");
        else
            rc = tars_buf_append(out, v, 1);
    }
    return rc;
}

int tars_expo_family(struct tars_buf *out, const char *name, const char *type, const char *help)
{
    return tars_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One gauge family and its one sample, "PREFIX_SUFFIX value". */
static int run_gauge(struct tars_buf *out, const char *prefix, const char *suffix, const char *help,
                     const char *value)
{
    char name[128];
    int rc;

    snprintf(name, sizeof(name), "%s_%s", prefix, suffix);
    rc = tars_expo_family(out, name, "gauge", help);
    return rc ? rc : tars_buf_printf(out, "%s %s\n", name, value);
}

int tars_expo_run_head(struct tars_buf *out, const struct tars_expo_run *run)
{
    char help[160], value[64];
    int rc;

    snprintf(help, sizeof(help), "When %s started, seconds since the Unix epoch.", run->what);
    snprintf(value, sizeof(value), "%.3f", (double)run->started_at_ms / 1000);
    rc = run_gauge(out, run->prefix, "start_time_seconds", help, value);
    snprintf(help, sizeof(help), "Time since %s started (its length once it ended).", run->what);
    snprintf(value, sizeof(value), "%.3f", run->elapsed_s);
    rc = rc ? rc : run_gauge(out, run->prefix, "elapsed_seconds", help, value);
    snprintf(help, sizeof(help), "1 while the %s run, 0 once all have stopped.", run->threads);
    return rc ? rc : run_gauge(out, run->prefix, "running", help, run->running ? "1" : "0");
}

void tars_expo_hist_fill(struct tars_expo_hist *e, const tars_hist *h)
{
    uint64_t bounds[TARS_EXPO_BUCKETS];

    for (int i = 0; i < TARS_EXPO_BUCKETS; i++)
        bounds[i] = (uint64_t)(tars_expo_bucket_bounds[i] * 1e9 + 0.5);
    tars_hist_cumulative(h, bounds, TARS_EXPO_BUCKETS, e->le);
    e->count = tars_hist_count(h);
    e->sum_s = tars_hist_sum_seconds(h);
}

void tars_expo_hist_add(struct tars_expo_hist *into, const struct tars_expo_hist *from)
{
    for (int i = 0; i < TARS_EXPO_BUCKETS; i++)
        into->le[i] += from->le[i];
    into->count += from->count;
    into->sum_s += from->sum_s;
}

int tars_expo_histogram(struct tars_buf *out, const char *name, const char *labels,
                        const struct tars_expo_hist *e)
{
    const char *sep = labels[0] ? "," : "", *open = labels[0] ? "{" : "";
    const char *close = labels[0] ? "}" : "";
    int rc = 0;

    for (int b = 0; b < TARS_EXPO_BUCKETS && !rc; b++)
        rc = tars_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                             tars_expo_bucket_bounds[b], (unsigned long long)e->le[b]);
    if (!rc)
        rc = tars_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                             (unsigned long long)e->count);
    if (!rc)
        rc = tars_buf_printf(out, "%s_sum%s%s%s %.9f\n%s_count%s%s%s %llu\n", name, open, labels,
                             close, e->sum_s, name, open, labels, close,
                             (unsigned long long)e->count);
    return rc;
}

/* ---- the scrape server ---- */

struct tars_expo_server {
    int listen_fd;
    int stop_pipe[2];
    int port;
    bool running;
    pthread_t thread;
    tars_expo_render_fn render;
    void *ctx;
    atomic_uint_fast64_t scrapes;
};

tars_expo_server *tars_expo_server_listen(const char *host, int port, bool allow_remote,
                                          struct tars_err *err)
{
    tars_expo_server *s;
    int fd;

    if (!allow_remote && !tars_net_is_loopback(host)) {
        tars_err_set(err, TARS_EINVAL,
                     "metrics address \"%s\" is not a loopback address (allow it explicitly to "
                     "serve other hosts)",
                     host);
        return NULL;
    }
    fd = tars_net_listen(host, port, false, err);
    if (fd < 0)
        return NULL;
    s = xcalloc(1, sizeof(*s));
    s->listen_fd = fd;
    s->port = tars_net_local_port(fd);
    if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        tars_err_set(err, TARS_EIO, "pipe: %s", strerror(errno));
        close(fd);
        free(s);
        return NULL;
    }
    return s;
}

int tars_expo_server_port(const tars_expo_server *s)
{
    return s->port;
}

uint64_t tars_expo_server_scrapes(tars_expo_server *s)
{
    return atomic_load(&s->scrapes);
}

/* Waits until fd is ready for events or the deadline; false on stop,
 * timeout or error. */
static bool wait_ready(tars_expo_server *s, int fd, short events, uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = tars_mono_ns();
        struct pollfd p[2] = {{fd, events, 0}, {s->stop_pipe[0], POLLIN, 0}};
        int n;
        if (now >= deadline_ns)
            return false;
        n = poll(p, 2, (int)((deadline_ns - now + 999999) / 1000000));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[1].revents)
            return false;
        if (p[0].revents)
            return true;
    }
}

/* Reads the request head (up to the blank line) into buf; its length, 0
 * when the peer went away or timed out, -1 when it is too long. */
static ssize_t read_head(tars_expo_server *s, int fd, char *buf, uint64_t deadline_ns)
{
    size_t len = 0;

    while (len < TARS_EXPO_MAX_REQUEST) {
        ssize_t n = recv(fd, buf + len, TARS_EXPO_MAX_REQUEST - len, 0);
        if (n > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
                return (ssize_t)len;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            return 0;
        if (errno == EAGAIN && !wait_ready(s, fd, POLLIN, deadline_ns))
            return 0;
    }
    return -1;
}

static void write_all(tars_expo_server *s, int fd, const char *p, size_t len, uint64_t deadline_ns)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (!wait_ready(s, fd, POLLOUT, deadline_ns))
                return;
        } else {
            return;
        }
    }
}

static void respond(tars_expo_server *s, int fd, int status, const char *reason, const char *extra,
                    const char *body, size_t len, uint64_t deadline_ns)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status, reason,
                     status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain", len,
                     extra);

    write_all(s, fd, head, (size_t)n, deadline_ns);
    write_all(s, fd, body, len, deadline_ns);
}

static void respond_text(tars_expo_server *s, int fd, int status, const char *reason,
                         const char *extra, const char *text, uint64_t deadline_ns)
{
    respond(s, fd, status, reason, extra, text, strlen(text), deadline_ns);
}

/* "GET /metrics HTTP/1.1": true when the target is /metrics (a query is ignored). */
static bool is_metrics_target(const char *target, size_t len)
{
    return len >= 8 && memcmp(target, "/metrics", 8) == 0 && (len == 8 || target[8] == '?');
}

static void serve_metrics(tars_expo_server *s, int fd, uint64_t deadline_ns)
{
    struct tars_buf body = TARS_BUF_INIT(TARS_EXPO_MAX_BODY);

    if (s->render(s->ctx, &body) != 0) {
        respond_text(s, fd, 500, "Internal Server Error", "", "cannot render the metrics\n",
                     deadline_ns);
    } else {
        respond(s, fd, 200, "OK", "", body.data ? body.data : "", body.len, deadline_ns);
        atomic_fetch_add(&s->scrapes, 1);
    }
    tars_buf_release(&body);
}

static void handle(tars_expo_server *s, int fd)
{
    uint64_t deadline = tars_mono_ns() + (uint64_t)TARS_EXPO_IO_TIMEOUT_MS * 1000000u;
    char buf[TARS_EXPO_MAX_REQUEST + 1];
    ssize_t len = read_head(s, fd, buf, deadline);
    const char *sp1, *sp2;

    if (len < 0) {
        respond_text(s, fd, 431, "Request Header Fields Too Large", "", "request too large\n",
                     deadline);
        return;
    }
    if (len == 0)
        return;
    sp1 = strchr(buf, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
        respond_text(s, fd, 400, "Bad Request", "", "bad request\n", deadline);
    else if (!is_metrics_target(sp1 + 1, (size_t)(sp2 - sp1 - 1)))
        respond_text(s, fd, 404, "Not Found", "", "only /metrics is served here\n", deadline);
    else if (sp1 - buf != 3 || memcmp(buf, "GET", 3) != 0)
        respond_text(s, fd, 405, "Method Not Allowed", "Allow: GET\r\n", "only GET\n", deadline);
    else
        serve_metrics(s, fd, deadline);
}

static void *serve_main(void *arg)
{
    tars_expo_server *s = arg;

    for (;;) {
        struct pollfd p[2] = {{s->listen_fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        int fd;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        handle(s, fd);
        close(fd);
    }
    return NULL;
}

int tars_expo_server_run(tars_expo_server *s, tars_expo_render_fn render, void *ctx,
                         struct tars_err *err)
{
    s->render = render;
    s->ctx = ctx;
    if (pthread_create(&s->thread, NULL, serve_main, s) != 0)
        return tars_err_set(err, TARS_EIO, "cannot start the metrics thread");
    s->running = true;
    return TARS_OK;
}

void tars_expo_server_free(tars_expo_server *s)
{
    if (!s)
        return;
    if (s->running) {
        ssize_t n = write(s->stop_pipe[1], "x", 1);
        (void)n;
        pthread_join(s->thread, NULL);
    }
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    free(s);
}
