/* Public endpoints: health, readiness, metrics, version, tokens. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tars/clock.h"
#include "tars/json.h"
#include "tars/log.h"
#include "tars/str.h"
#include "tars/version.h"

static const char *store_name(struct tars_server *srv)
{
    return srv->store_kind == TARS_STORE_POSTGRES ? "postgres" : "sqlite";
}

void h_health(struct srv_req *r)
{
    struct tars_server *srv = r->th->srv;
    struct tars_err err = TARS_ERR_INIT;
    uint64_t t0 = tars_mono_ns();
    int rc = tars_store_ping(r->th->store, &err);
    json_t *v;

    srv_metrics_db(r->th->shard, DB_PING, tars_mono_ns() - t0);
    v = json_pack("{s:s,s:s,s:s,s:o,s:s,s:I}", "status", rc ? "unhealthy" : "healthy", "service",
                  "tars-dashboard-api", "version", TARS_VERSION, "timestamp",
                  srv_json_time(tars_wall_ms()), "database", store_name(srv),
                  "websocket_connections",
                  (json_int_t)__atomic_load_n(&srv->metrics.ws_connections, __ATOMIC_RELAXED));
    if (rc && v)
        json_object_set_new(v, "reason", json_string("database unreachable"));
    srv_send_json(r, rc ? 503 : 200, v);
}

void h_ready(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;

    if (tars_store_ready(r->th->store, &err)) {
        srv_send_json(
            r, 503,
            json_pack("{s:s,s:s}", "status", "not_ready", "reason",
                      err.code == TARS_ECONFLICT ? "migrations pending" : "database unreachable"));
        return;
    }
    srv_send_json(r, 200, json_pack("{s:s}", "status", "ready"));
}

#define REWARD_MAX 64

struct reward_list {
    struct srv_agent_reward item[REWARD_MAX];
    char id[REWARD_MAX][TARS_ID_MAX];
    char type[REWARD_MAX][TARS_ID_MAX];
    int count;
};

static int collect_reward(void *ctx, const struct tars_agent *a)
{
    struct reward_list *l = ctx;
    int i = l->count;

    if (i == REWARD_MAX)
        return 1;
    tars_strlcpy(l->id[i], a->id, sizeof(l->id[i]));
    tars_strlcpy(l->type[i], a->type, sizeof(l->type[i]));
    l->item[i].agent_id = l->id[i];
    l->item[i].agent_type = l->type[i];
    l->item[i].reward = a->recent_reward_mean;
    l->count++;
    return 0;
}

void h_prometheus(struct srv_req *r)
{
    struct tars_buf out = TARS_BUF_INIT(8 * 1024 * 1024);
    struct reward_list *rewards = calloc(1, sizeof(*rewards));

    if (!rewards) {
        srv_send_error(r, 500, "internal", "out of memory");
        return;
    }
    /* Reward gauges come from storage; a failure only leaves them out. */
    tars_store_agents_each(r->th->store, collect_reward, rewards, NULL);
    if (srv_metrics_render(&r->th->srv->metrics, rewards->item, rewards->count, &out)) {
        free(rewards);
        srv_send_error(r, 500, "internal", "metrics too large to render");
        return;
    }
    free(rewards);
    srv_send_text(r, 200, "text/plain; version=0.0.4", out.data, out.len);
    tars_buf_release(&out);
}

void h_version(struct srv_req *r)
{
    srv_send_json(r, 200,
                  json_pack("{s:s,s:s,s:s,s:s}", "version", TARS_VERSION, "git_sha", TARS_GIT_SHA,
                            "build_time", TARS_BUILD_TIME, "api", "v1"));
}

/* Issues an access token (and a refresh token when with_refresh). */
static json_t *token_response(struct srv_req *r, const struct tars_principal *p, bool with_refresh)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal refresh = *p;
    int64_t now = tars_wall_ms() / 1000;
    char *access = tars_jwt_issue(r->th->srv->jwt, p, now, &err);
    char *rtok = NULL;
    json_t *v;

    refresh.type = TARS_TOKEN_REFRESH;
    if (access && with_refresh)
        rtok = tars_jwt_issue(r->th->srv->jwt, &refresh, now, &err);
    if (!access || (with_refresh && !rtok)) {
        free(access);
        free(rtok);
        return NULL;
    }
    v = json_pack("{s:s,s:s,s:i}", "access_token", access, "token_type", "bearer", "expires_in",
                  TARS_JWT_ACCESS_TTL_S);
    if (v && rtok)
        json_object_set_new(v, "refresh_token", json_string(rtok));
    free(access);
    free(rtok);
    return v;
}

static void login_failed(struct srv_req *r, const char *username, const char *why)
{
    srv_metrics_auth_failure(&r->th->srv->metrics, AUTHF_BAD_CREDENTIALS);
    srv_audit(r, "auth_failure", why, "user", username, false, username);
    tars_log(TARS_LOG_INFO, r->trace.trace_id, r->trace.span_id,
             "login failed for \"%s\" from %s: %s", username, r->client_ip, why);
    srv_add_header(r, "www-authenticate", "Bearer");
    srv_send_error(r, 401, "unauthorized", "invalid username or password");
}

/* A login runs on the password worker: scrypt takes tens of milliseconds,
 * which would stall every other request of a loop thread. */
struct login_job {
    char username[TARS_NAME_MAX];
    char password[1025];
    const char *dummy_hash;
    struct tars_user user;
    const char *why; /* set when the credentials are wrong */
};

static int login_check(tars_store *st, void *data, struct tars_err *err)
{
    struct login_job *j = data;
    int rc = tars_store_user_by_name(st, j->username, &j->user, err);

    if (rc == TARS_ENOTFOUND || (rc == 0 && j->user.disabled)) {
        /* Spend the same time as a real check so names cannot be probed. */
        tars_password_verify(j->password, j->dummy_hash, NULL);
        j->why = "unknown or disabled user";
        return TARS_OK;
    }
    if (rc == 0 && tars_password_verify(j->password, j->user.password_hash, err))
        j->why = "wrong password";
    return rc;
}

static void login_free(struct login_job *j)
{
    explicit_bzero(j, sizeof(*j));
    free(j);
}

static void login_done(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    struct login_job *j = data;
    struct tars_principal p;
    json_t *resp;

    if (!r) {
        login_free(j);
        return;
    }
    if (rc) {
        srv_send_store_error(r, err);
    } else if (j->why) {
        login_failed(r, j->username, j->why);
    } else {
        memset(&p, 0, sizeof(p));
        tars_strlcpy(p.user_id, j->user.id, sizeof(p.user_id));
        tars_strlcpy(p.username, j->user.username, sizeof(p.username));
        tars_role_parse(j->user.role, &p.role);
        p.type = TARS_TOKEN_ACCESS;
        resp = token_response(r, &p, true);
        if (resp) {
            json_object_set_new(resp, "user",
                                json_pack("{s:s,s:s,s:s}", "id", j->user.id, "username",
                                          j->user.username, "role", j->user.role));
            srv_audit(r, "auth_success", "token issued", "user", j->user.id, true,
                      j->user.username);
            srv_send_json(r, 200, resp);
        } else {
            srv_send_error(r, 500, "internal", "token could not be issued");
        }
    }
    login_free(j);
}

void h_auth_token(struct srv_req *r)
{
    struct tars_field_errors fe;
    const char *username = NULL, *password = NULL;
    json_t *body = srv_read_json_body(r);
    struct login_job *j;

    if (!body)
        return;
    tars_field_errors_init(&fe);
    tars_json_string(body, "username", true, TARS_NAME_MAX - 1, &username, &fe);
    tars_json_string(body, "password", true, 1024, &password, &fe);
    if (fe.count) {
        srv_send_field_errors(r, &fe);
    } else {
        j = calloc(1, sizeof(*j));
        if (!j) {
            srv_send_error(r, 500, "internal", "out of memory");
        } else {
            tars_strlcpy(j->username, username, sizeof(j->username));
            tars_strlcpy(j->password, password, sizeof(j->password));
            j->dummy_hash = r->th->srv->dummy_hash;
            srv_write_on(r->th->srv->password_worker, r, login_check, j, login_done);
        }
    }
    tars_field_errors_release(&fe);
    json_decref(body);
}

void h_auth_refresh(struct srv_req *r)
{
    struct tars_field_errors fe;
    const char *token = NULL;
    struct tars_err err = TARS_ERR_INIT;
    struct tars_principal p;
    json_t *body = srv_read_json_body(r), *resp;

    if (!body)
        return;
    tars_field_errors_init(&fe);
    tars_json_string(body, "refresh_token", true, 4096, &token, &fe);
    if (fe.count) {
        srv_send_field_errors(r, &fe);
        goto out;
    }
    if (tars_jwt_verify(r->th->srv->jwt, token, tars_wall_ms() / 1000, TARS_TOKEN_REFRESH, &p,
                        &err)) {
        srv_metrics_auth_failure(&r->th->srv->metrics, AUTHF_INVALID_TOKEN);
        srv_audit(r, "auth_failure", err.msg, "token", "refresh", false, "");
        srv_add_header(r, "www-authenticate", "Bearer error=\"invalid_token\"");
        srv_send_error(r, 401, "unauthorized", "%s", err.msg);
        goto out;
    }
    p.type = TARS_TOKEN_ACCESS;
    resp = token_response(r, &p, false);
    if (!resp)
        srv_send_error(r, 500, "internal", "token could not be issued");
    else
        srv_send_json(r, 200, resp);
out:
    tars_field_errors_release(&fe);
    json_decref(body);
}
