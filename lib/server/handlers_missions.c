/* Missions: list and create. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tars/alloc.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/json.h"
#include "tars/str.h"

static const char *const mission_statuses[] = {"pending", "active", "completed", "failed", NULL};

static bool mission_status_ok(const char *s)
{
    for (const char *const *p = mission_statuses; *p; p++)
        if (strcmp(s, *p) == 0)
            return true;
    return false;
}

static json_t *mission_json(const struct tars_mission *m)
{
    json_t *details = tars_json_object_from_text(m->details_json);

    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", m->id, "name", m->name, "status",
                     m->status, "agent_id", m->agent_id[0] ? json_string(m->agent_id) : json_null(),
                     "details", details ? details : json_null(), "created_at",
                     srv_json_time(m->created_at), "updated_at", srv_json_time(m->updated_at));
}

static int add_mission(void *ctx, const struct tars_mission *m)
{
    return json_array_append_new(ctx, mission_json(m));
}

void h_missions_list(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    char status[TARS_STATUS_MAX];
    bool has_status;
    int64_t limit = 100, total = 0;
    json_t *list;
    uint64_t t0;
    int rc;

    if (!srv_query_str(r, "status", status, sizeof(status), &has_status) ||
        !srv_query_int(r, "limit", 1, 1000, &limit))
        return;
    if (has_status && !mission_status_ok(status)) {
        srv_send_error(r, 400, "bad_request",
                       "query parameter \"status\" must be one of "
                       "pending, active, completed, failed");
        return;
    }
    list = json_array();
    t0 = tars_mono_ns();
    rc = tars_store_missions_list(r->th->store, has_status ? status : NULL, limit, &total,
                                  add_mission, list, &err);
    srv_metrics_db(r->th->shard, DB_MISSIONS_LIST, tars_mono_ns() - t0);
    if (rc) {
        json_decref(list);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(r, 200,
                  json_pack("{s:o,s:I,s:I}", "missions", list, "total", (json_int_t)total, "limit",
                            (json_int_t)limit));
}

static void free_mission(void *data)
{
    tars_mission_release(data);
    free(data);
}

static int write_mission(tars_store *st, void *data, struct tars_err *err)
{
    return tars_store_mission_add(st, data, err);
}

static void mission_done(struct srv_req *r, void *data, int rc, const struct tars_err *err)
{
    struct tars_mission *m = data;
    char location[128];

    if (r && rc) {
        srv_send_store_error(r, err);
    } else if (r) {
        snprintf(location, sizeof(location), "/api/v1/missions/%s", m->id);
        srv_add_header(r, "location", location);
        srv_send_json(r, 201, mission_json(m));
    }
    free_mission(m);
}

void h_mission_create(struct srv_req *r)
{
    struct tars_field_errors fe;
    const char *name = NULL, *status = "pending", *agent = "";
    json_t *body = srv_read_json_body(r);
    struct tars_mission *m;

    if (!body)
        return;
    m = xcalloc(1, sizeof(*m));
    tars_field_errors_init(&fe);
    tars_json_string(body, "name", true, TARS_NAME_MAX - 1, &name, &fe);
    if (tars_json_string(body, "status", false, TARS_STATUS_MAX - 1, &status, &fe) &&
        !mission_status_ok(status))
        tars_field_errors_add(&fe, "status", "must be pending, active, completed or failed");
    tars_json_string(body, "agent_id", false, TARS_ID_MAX - 1, &agent, &fe);
    tars_json_object_text(body, "details", 64 * 1024, &m->details_json, &fe);
    if (fe.count) {
        srv_send_field_errors(r, &fe);
        free_mission(m);
    } else {
        tars_uuid4(m->id);
        tars_strlcpy(m->name, name, sizeof(m->name));
        tars_strlcpy(m->status, status, sizeof(m->status));
        tars_strlcpy(m->agent_id, agent, sizeof(m->agent_id));
        m->created_at = m->updated_at = tars_wall_ms();
        srv_write(r, write_mission, m, mission_done);
    }
    tars_field_errors_release(&fe);
    json_decref(body);
}
