/* Obtains the run's bearer token before the first request: from an
 * environment variable, or by one login against the token endpoint. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "load_int.h"
#include "tars/json.h"
#include "tars/alloc.h"
#include "tars/clock.h"

#define LOGIN_TIMEOUT_MS 10000

static int wait_fd(struct tars_net_conn *c, uint64_t deadline)
{
    struct pollfd p = {c->fd, (short)(c->wait == TARS_NET_WAIT_WRITE ? POLLOUT : POLLIN), 0};
    uint64_t now = tars_mono_ns();
    int ms = now < deadline ? (int)((deadline - now) / 1000000) : 0;

    return poll(&p, 1, ms) > 0 ? TARS_OK : TARS_EUNAVAIL;
}

/* Sends req and reads one response into p, blocking with a deadline. */
static int exchange(struct tars_load_run *run, struct tars_buf *req, tars_http_parser *p,
                    struct tars_err *err)
{
    struct tars_net_conn c = TARS_NET_CONN_INIT;
    uint64_t deadline = tars_mono_ns() + LOGIN_TIMEOUT_MS * 1000000ull;
    char buf[4096];
    size_t off = 0, n, used;
    int rc = tars_net_connect(&c, &run->target, err);

    while (rc == TARS_AGAIN && (rc = wait_fd(&c, deadline)) == TARS_OK)
        rc = tars_net_handshake(&c, err);
    while (rc == TARS_OK && off < req->len) {
        rc = tars_net_write(&c, req->data + off, req->len - off, &n, err);
        if (rc == TARS_OK)
            off += n;
        else if (rc == TARS_AGAIN)
            rc = wait_fd(&c, deadline);
    }
    for (rc = rc ? rc : TARS_AGAIN; rc == TARS_AGAIN;) {
        rc = tars_net_read(&c, buf, sizeof(buf), &n, err);
        if (rc == TARS_AGAIN)
            rc = wait_fd(&c, deadline) ? TARS_EUNAVAIL : TARS_AGAIN;
        else if (rc == TARS_OK)
            rc = n ? tars_http_parser_feed(p, buf, n, &used, err) : tars_http_parser_eof(p, err);
    }
    tars_net_close(&c);
    if (rc && err && !err->msg[0])
        tars_err_set(err, rc, "no answer from %s within %d s", run->target.label,
                     LOGIN_TIMEOUT_MS / 1000);
    return rc;
}

static const char *env_value(const char *name)
{
    const char *v = name ? getenv(name) : NULL;
    return v && *v ? v : NULL;
}

static int login(struct tars_load_run *run, struct tars_err *err)
{
    const struct tars_load_auth *a = &run->s->auth;
    const char *user = env_value(a->username_env), *pass = env_value(a->password_env);
    struct tars_http_header ct = {"Content-Type", "application/json"};
    struct tars_http_parser_opts opts = {0, 64 * 1024};
    struct tars_buf req = TARS_BUF_INIT(64 * 1024);
    struct tars_http_request r = {"POST", a->token_path, run->authority, &ct, 1, NULL, 0};
    const struct tars_http_response *res;
    tars_http_parser *p = NULL;
    char *body = NULL;
    json_t *doc = NULL;
    int rc;

    if (!user || !pass)
        return tars_err_set(err, TARS_EINVAL, "login: set %s and %s in the environment",
                            a->username_env ? a->username_env : "(username_env)",
                            a->password_env ? a->password_env : "(password_env)");
    doc = json_pack("{s:s,s:s}", "username", user, "password", pass);
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    doc = NULL;
    r.body = body;
    r.body_len = body ? strlen(body) : 0;
    rc = tars_http_parser_new(&p, &opts, err);
    if (rc == 0)
        rc = tars_http_request_write(&req, &r, err);
    if (rc == 0)
        rc = exchange(run, &req, p, err);
    if (rc == 0) {
        res = tars_http_parser_response(p);
        tars_json_parse_bounded(res->body, res->body_len, 0, 0, &doc, NULL);
        if (res->status != 200 || !json_is_string(json_object_get(doc, "access_token")))
            rc = tars_err_set(err, TARS_EAUTH, "login as \"%s\" at %s: HTTP %d", user,
                              a->token_path, res->status);
        else
            run->token = xstrdup(json_string_value(json_object_get(doc, "access_token")));
    }
    json_decref(doc);
    if (body)
        explicit_bzero(body, strlen(body));
    free(body);
    if (req.data)
        explicit_bzero(req.data, req.len);
    tars_buf_release(&req);
    tars_http_parser_free(p);
    return rc;
}

int load_build_login(struct load_thread *t, struct load_conn *c)
{
    const struct tars_load_auth *a = &t->run->s->auth;
    const struct tars_load_data *d = &t->run->s->data;
    const char *user = env_value(a->username_env), *pass = env_value(a->password_env);
    struct tars_http_header ct = {"Content-Type", "application/json"};
    struct tars_http_request r = {"POST", a->token_path, t->run->authority, &ct, 1, NULL, 0};
    char *body;
    json_t *doc;
    int rc;

    for (size_t i = 0; a->username_column && i < d->column_count; i++) {
        if (strcmp(d->columns[i], a->username_column) == 0)
            user = c->user->row[i];
        if (strcmp(d->columns[i], a->password_column) == 0)
            pass = c->user->row[i];
    }
    doc = json_pack("{s:s,s:s}", "username", user ? user : "", "password", pass ? pass : "");
    body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!body)
        return TARS_EINTERNAL;
    r.body = body;
    r.body_len = strlen(body);
    c->task = t->run->login_task;
    c->wpos = 0;
    tars_buf_reset(&c->wbuf);
    rc = tars_http_request_write(&c->wbuf, &r, NULL);
    explicit_bzero(body, strlen(body));
    free(body);
    return rc;
}

static int per_user(struct tars_load_run *run, struct tars_err *err)
{
    const struct tars_load_auth *a = &run->s->auth;

    run->login_per_user = true;
    run->login_task = run->s->task_count;
    if (a->username_column || (env_value(a->username_env) && env_value(a->password_env)))
        return TARS_OK;
    return tars_err_set(err, TARS_EINVAL, "login: set %s and %s in the environment",
                        a->username_env ? a->username_env : "(username_env)",
                        a->password_env ? a->password_env : "(password_env)");
}

int load_login(struct tars_load_run *run, struct tars_err *err)
{
    const struct tars_load_auth *a = &run->s->auth;
    size_t n;
    int rc = TARS_OK;

    switch (a->mode) {
    case TARS_LOAD_AUTH_NONE: return TARS_OK;
    case TARS_LOAD_AUTH_BEARER:
        if (!env_value(a->token_env))
            return tars_err_set(err, TARS_EINVAL, "auth: set %s in the environment",
                                a->token_env ? a->token_env : "(token_env)");
        run->token = xstrdup(env_value(a->token_env));
        break;
    case TARS_LOAD_AUTH_LOGIN_PER_USER:
        /* each user logs in first, in the load loop (engine_loop.c); the open
         * model has no users: one login serves its pool */
        if (run->s->model == TARS_LOAD_CLOSED)
            return per_user(run, err);
        rc = login(run, err);
        break;
    case TARS_LOAD_AUTH_LOGIN_ONCE: rc = login(run, err); break;
    }
    if (rc || !run->token)
        return rc;
    n = strlen(run->token) + 8;
    run->auth_header = xmalloc(n);
    snprintf(run->auth_header, n, "Bearer %s", run->token);
    return TARS_OK;
}
