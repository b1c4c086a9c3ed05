/* Missions. An empty agent_id is stored as ''. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define MISSION_COLUMNS "id, name, status, agent_id, details, created_at, updated_at"

void tars_mission_release(struct tars_mission *m)
{
    if (!m)
        return;
    free(m->details_json);
    m->details_json = NULL;
}

static int check_mission(const struct tars_mission *m, struct tars_err *err)
{
    int rc = store_check_field("mission id", m->id, sizeof(m->id), err);

    if (!rc)
        rc = store_check_field("mission name", m->name, sizeof(m->name), err);
    if (!rc)
        rc = store_check_field("mission status", m->status, sizeof(m->status), err);
    if (!rc)
        rc = store_check_field("agent id", m->agent_id, sizeof(m->agent_id), err);
    if (!rc)
        rc = store_check_text("mission details", m->details_json, STORE_JSON_MAX, false, err);
    if (!rc && !m->id[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty mission id");
    return rc;
}

int tars_store_mission_add(tars_store *st, const struct tars_mission *m, struct tars_err *err)
{
    struct db_value p[7];
    int rc = check_mission(m, err);

    if (rc)
        return rc;
    p[0] = db_text(m->id);
    p[1] = db_text(m->name);
    p[2] = db_text(m->status);
    p[3] = db_text(m->agent_id);
    p[4] = db_text(m->details_json);
    p[5] = db_int(m->created_at);
    p[6] = db_int(m->updated_at);
    rc = db_query(st->db,
                  "INSERT INTO missions (" MISSION_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                  p, 7, NULL, NULL, err);
    if (rc == TARS_ECONFLICT)
        return tars_err_set(err, rc, "mission \"%s\" already exists", m->id);
    return rc;
}

struct mission_each {
    tars_mission_fn fn;
    void *ctx;
};

static int mission_each_row(void *ctx, const struct db_row *r, struct tars_err *err)
{
    struct mission_each *each = ctx;
    struct tars_mission m;
    int rc;

    memset(&m, 0, sizeof(m));
    rc = db_copy_text(r, 0, m.id, sizeof(m.id), err);
    if (!rc)
        rc = db_copy_text(r, 1, m.name, sizeof(m.name), err);
    if (!rc)
        rc = db_copy_text(r, 2, m.status, sizeof(m.status), err);
    if (!rc)
        rc = db_copy_text(r, 3, m.agent_id, sizeof(m.agent_id), err);
    m.created_at = db_get_int(r, 5);
    m.updated_at = db_get_int(r, 6);
    if (rc)
        return rc;
    m.details_json = db_dup_text(r, 4);
    rc = store_callback_result(each->fn(each->ctx, &m), err);
    tars_mission_release(&m);
    return rc;
}

int tars_store_missions_list(tars_store *st, const char *status, int64_t limit, int64_t *total,
                             tars_mission_fn fn, void *ctx, struct tars_err *err)
{
    struct mission_each each = {fn, ctx};
    struct store_where w;
    char sql[512];
    int rc;

    *total = 0;
    rc = store_check_text("mission status", status, TARS_STATUS_MAX, false, err);
    if (!rc)
        rc = store_check_page(limit, 0, err);
    if (rc)
        return rc;
    where_init(&w);
    if (status)
        where_add(&w, "status =", db_text(status));
    rc = where_sql(&w, "SELECT COUNT(*) FROM missions", "", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query_int(st->db, sql, w.params, w.nparams, total, err);
    if (rc)
        return rc;
    where_page(&w, limit, -1);
    rc = where_sql(&w, "SELECT " MISSION_COLUMNS " FROM missions",
                   " ORDER BY created_at DESC, id DESC", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, w.params, w.nparams, mission_each_row, &each, err);
    return rc;
}
