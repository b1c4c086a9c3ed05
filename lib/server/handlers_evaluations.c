/* Evaluations: list, read, and the durable writes (create, update, delete). */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/json.h"
#include "tars/str.h"

#define DETAILS_MAX (64 * 1024)

static const char *const write_statuses[] = {"pending", "running", "completed", "error", NULL};
static const char *const list_statuses[] = {"pending", "running", "completed",
                                            "error",   "deleted", NULL};

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static json_t *evaluation_json(const struct tars_evaluation *e)
{
    json_t *details = tars_json_object_from_text(e->details_json);

    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "id", e->id, "agent_id", e->agent_id,
                     "region", e->region, "status", e->status, "reward",
                     e->has_reward ? json_real(e->reward) : json_null(), "duration_ms",
                     e->duration_ms >= 0 ? json_integer(e->duration_ms) : json_null(), "details",
                     details ? details : json_null(), "created_at", srv_json_time(e->created_at),
                     "updated_at", srv_json_time(e->updated_at));
}

static int add_evaluation(void *ctx, const struct tars_evaluation *e)
{
    return json_array_append_new(ctx, evaluation_json(e));
}

/* Reads the list filters; sends 400 itself and returns false on a bad one. */
static bool read_filter(struct srv_req *r, struct tars_evaluation_filter *f, char *agent,
                        char *region, char *status)
{
    bool has_agent, has_region, has_status, has_since;
    char since[40];

    memset(f, 0, sizeof(*f));
    f->limit = 100;
    if (!srv_query_str(r, "agent_id", agent, TARS_ID_MAX, &has_agent) ||
        !srv_query_str(r, "region", region, TARS_ID_MAX, &has_region) ||
        !srv_query_str(r, "status", status, TARS_STATUS_MAX, &has_status) ||
        !srv_query_str(r, "since", since, sizeof(since), &has_since) ||
        !srv_query_int(r, "limit", 1, 1000, &f->limit) ||
        !srv_query_int(r, "offset", 0, INT32_MAX, &f->offset))
        return false;
    if (has_status && !one_of(status, list_statuses)) {
        srv_send_error(r, 400, "bad_request",
                       "query parameter \"status\" must be one of "
                       "pending, running, completed, error, deleted");
        return false;
    }
    if (has_since && tars_iso8601_parse(since, &f->since)) {
        srv_send_error(r, 400, "bad_request",
                       "query parameter \"since\" must be an ISO 8601 UTC time");
        return false;
    }
    f->agent_id = has_agent ? agent : NULL;
    f->region = has_region ? region : NULL;
    f->status = has_status ? status : NULL;
    return true;
}

void h_evaluations_list(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation_filter f;
    char agent[TARS_ID_MAX], region[TARS_ID_MAX], status[TARS_STATUS_MAX];
    int64_t total = 0;
    json_t *list;
    uint64_t t0;
    int rc;

    if (!read_filter(r, &f, agent, region, status))
        return;
    list = json_array();
    t0 = tars_mono_ns();
    rc = tars_store_evaluations_list(r->th->store, &f, &total, add_evaluation, list, &err);
    srv_metrics_db(r->th->shard, DB_EVALUATIONS_LIST, tars_mono_ns() - t0);
    if (rc) {
        json_decref(list);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(r, 200,
                  json_pack("{s:o,s:I,s:I,s:I}", "evaluations", list, "total", (json_int_t)total,
                            "limit", (json_int_t)f.limit, "offset", (json_int_t)f.offset));
}

void h_evaluation_get(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation e;
    uint64_t t0 = tars_mono_ns();
    int rc = tars_store_evaluation_get(r->th->store, r->params.value[0], &e, &err);

    srv_metrics_db(r->th->shard, DB_EVALUATION_GET, tars_mono_ns() - t0);
    if (rc == TARS_ENOTFOUND) {
        srv_send_error(r, 404, "not_found", "no evaluation \"%s\"", r->params.value[0]);
        return;
    }
    if (rc) {
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(r, 200, evaluation_json(&e));
    tars_evaluation_release(&e);
}

/* Validates a create/update body into e; sends 4xx itself on failure. */
static bool read_evaluation(struct srv_req *r, json_t *body, bool status_required,
                            struct tars_evaluation *e)
{
    struct tars_field_errors fe;
    const char *agent = NULL, *region = NULL, *status = "pending";
    bool ok;

    tars_field_errors_init(&fe);
    tars_json_string(body, "agent_id", true, TARS_ID_MAX - 1, &agent, &fe);
    tars_json_string(body, "region", true, TARS_ID_MAX - 1, &region, &fe);
    if (tars_json_string(body, "status", status_required, TARS_STATUS_MAX - 1, &status, &fe) &&
        !one_of(status, write_statuses))
        tars_field_errors_add(&fe, "status", "must be pending, running, completed or error");
    e->has_reward = tars_json_number(body, "reward", false, &e->reward, &fe);
    e->duration_ms = -1;
    tars_json_int(body, "duration_ms", false, 0, INT32_MAX, &e->duration_ms, &fe);
    tars_json_object_text(body, "details", DETAILS_MAX, &e->details_json, &fe);
    ok = fe.count == 0;
    if (ok) {
        tars_strlcpy(e->agent_id, agent, sizeof(e->agent_id));
        tars_strlcpy(e->region, region, sizeof(e->region));
        tars_strlcpy(e->status, status, sizeof(e->status));
    } else {
        srv_send_field_errors(r, &fe);
    }
    tars_field_errors_release(&fe);
    return ok;
}

/* A write job's data: the evaluation first (the write functions see only
 * it), and the server, which the completion needs for the live feed even
 * when the client has gone away. */
struct eval_write {
    struct tars_evaluation e;
    struct tars_server *srv;
};

static struct tars_evaluation *new_evaluation(struct srv_req *r)
{
    struct eval_write *w = xcalloc(1, sizeof(*w));

    w->srv = r->th->srv;
    return &w->e;
}

static void free_evaluation(struct tars_evaluation *e)
{
    tars_evaluation_release(e);
    free(e);
}

/* The feed message of a committed change, in the same transaction. */
static int write_feed(tars_store *st, void *data, const char *action, struct tars_err *err)
{
    struct tars_evaluation *e = data;

    if (!action)
        action = strcmp(e->status, "deleted") == 0 ? "deleted" : "updated";
    return srv_ws_feed_write(st, ((struct eval_write *)data)->srv, WS_CH_EVALUATIONS,
                             evaluation_json(e), action, err);
}

static int write_create(tars_store *st, void *data, struct tars_err *err)
{
    int rc = tars_store_evaluation_add(st, data, err);

    return rc ? rc : write_feed(st, data, "created", err);
}

/* Update and delete read the row back in the same transaction, so the
 * response shows exactly what was committed. */
static int write_update(tars_store *st, void *data, struct tars_err *err)
{
    struct tars_evaluation *e = data;
    char id[TARS_ID_MAX];
    int rc = tars_store_evaluation_update(st, e, err);

    if (rc)
        return rc;
    tars_strlcpy(id, e->id, sizeof(id));
    tars_evaluation_release(e);
    rc = tars_store_evaluation_get(st, id, e, err);
    return rc ? rc : write_feed(st, data, NULL, err);
}

static int write_delete(tars_store *st, void *data, struct tars_err *err)
{
    struct tars_evaluation *e = data;
    char id[TARS_ID_MAX];
    int rc = tars_store_evaluation_delete(st, e->id, e->updated_at, err);

    if (rc)
        return rc;
    tars_strlcpy(id, e->id, sizeof(id));
    rc = tars_store_evaluation_get(st, id, e, err);
    return rc ? rc : write_feed(st, data, NULL, err);
}

static void write_done(struct srv_req *r, void *data, int rc, const struct tars_err *err,
                       int status)
{
    struct tars_evaluation *e = data;
    char location[128];

    if (!r)
        goto out;
    if (rc == TARS_ENOTFOUND) {
        srv_send_error(r, 404, "not_found", "no evaluation \"%s\"", e->id);
    } else if (rc) {
        srv_send_store_error(r, err);
    } else {
        if (status == 201) {
            srv_metrics_evaluation(&r->th->srv->metrics, e->agent_id, e->region, e->status,
                                   e->duration_ms);
            snprintf(location, sizeof(location), "/api/v1/evaluations/%s", e->id);
            srv_add_header(r, "location", location);
        }
        srv_send_json(r, status, evaluation_json(e));
    }
out:
    free_evaluation(e);
}

static void created_done(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    write_done(r, data, rc, err, 201);
}

static void changed_done(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    write_done(r, data, rc, err, 200);
}

void h_evaluation_create(struct srv_req *r)
{
    json_t *body = srv_read_json_body(r);
    struct tars_evaluation *e;

    if (!body)
        return;
    e = new_evaluation(r);
    if (!read_evaluation(r, body, false, e)) {
        free_evaluation(e);
        json_decref(body);
        return;
    }
    json_decref(body);
    tars_uuid4(e->id);
    e->created_at = e->updated_at = tars_wall_ms();
    srv_write(r, write_create, e, created_done);
}

void h_evaluation_update(struct srv_req *r)
{
    json_t *body = srv_read_json_body(r);
    struct tars_evaluation *e;

    if (!body)
        return;
    e = new_evaluation(r);
    if (!read_evaluation(r, body, true, e)) {
        free_evaluation(e);
        json_decref(body);
        return;
    }
    json_decref(body);
    tars_strlcpy(e->id, r->params.value[0], sizeof(e->id));
    e->updated_at = tars_wall_ms();
    srv_write(r, write_update, e, changed_done);
}

void h_evaluation_delete(struct srv_req *r)
{
    struct tars_evaluation *e = new_evaluation(r);

    tars_strlcpy(e->id, r->params.value[0], sizeof(e->id));
    e->updated_at = tars_wall_ms();
    srv_write(r, write_delete, e, changed_done);
}
