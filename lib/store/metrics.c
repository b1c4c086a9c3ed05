/*
 * Metric points (time series). labels is a JSON object: JSONB on PostgreSQL,
 * JSON text checked by json_valid on SQLite; the agent_type filter reads its
 * "agent_type" field, the one place where the two dialects' queries differ.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define POINT_COLUMNS "metric_name, region, timestamp, value, labels"

void tars_metric_point_release(struct tars_metric_point *p)
{
    if (!p)
        return;
    free(p->labels_json);
    p->labels_json = NULL;
}

static int check_point(const struct tars_metric_point *pt, struct tars_err *err)
{
    int rc = store_check_field("metric name", pt->metric_name, sizeof(pt->metric_name), err);

    if (!rc)
        rc = store_check_field("region", pt->region, sizeof(pt->region), err);
    if (!rc)
        rc = store_check_text("metric labels", pt->labels_json, STORE_LABELS_MAX, false, err);
    if (!rc && !pt->metric_name[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty metric name");
    return rc;
}

int tars_store_metric_add(tars_store *st, const struct tars_metric_point *pt, struct tars_err *err)
{
    struct db_value p[5];
    int rc = check_point(pt, err);

    if (rc)
        return rc;
    p[0] = db_text(pt->metric_name);
    p[1] = db_text(pt->region);
    p[2] = db_int(pt->timestamp);
    p[3] = db_real(pt->value);
    p[4] = db_text(pt->labels_json);
    rc = db_query(st->db, "INSERT INTO metrics (" POINT_COLUMNS ") VALUES ($1, $2, $3, $4, $5)", p,
                  5, NULL, NULL, err);
    if (rc == TARS_EINVAL)
        tars_err_prefix(err, "metric labels must be a JSON object");
    return rc;
}

struct point_each {
    tars_metric_fn fn;
    void *ctx;
};

static int point_each_row(void *ctx, const struct db_row *r, struct tars_err *err)
{
    struct point_each *each = ctx;
    struct tars_metric_point pt;
    int rc;

    memset(&pt, 0, sizeof(pt));
    rc = db_copy_text(r, 0, pt.metric_name, sizeof(pt.metric_name), err);
    if (!rc)
        rc = db_copy_text(r, 1, pt.region, sizeof(pt.region), err);
    pt.timestamp = db_get_int(r, 2);
    pt.value = db_get_real(r, 3);
    if (rc)
        return rc;
    pt.labels_json = db_dup_text(r, 4);
    rc = store_callback_result(each->fn(each->ctx, &pt), err);
    tars_metric_point_release(&pt);
    return rc;
}

static const char *agent_type_condition(const tars_store *st)
{
    if (st->db->kind == TARS_STORE_POSTGRES)
        return "labels->>'agent_type' =";
    return "json_extract(labels, '$.agent_type') =";
}

int tars_store_metric_values(tars_store *st, const char *metric_name, const char *agent_type,
                             int64_t limit, tars_metric_fn fn, void *ctx, struct tars_err *err)
{
    struct point_each each = {fn, ctx};
    struct store_where w;
    char sql[512];
    int rc;

    rc = store_check_text("metric name", metric_name, TARS_NAME_MAX, true, err);
    if (!rc)
        rc = store_check_text("agent type", agent_type, TARS_ID_MAX, false, err);
    if (!rc)
        rc = store_check_page(limit, 0, err);
    if (rc)
        return rc;
    where_init(&w);
    where_add(&w, "metric_name =", db_text(metric_name));
    if (agent_type)
        where_add(&w, agent_type_condition(st), db_text(agent_type));
    where_page(&w, limit, -1);
    rc = where_sql(&w, "SELECT " POINT_COLUMNS " FROM metrics", " ORDER BY timestamp DESC, id DESC",
                   sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, w.params, w.nparams, point_each_row, &each, err);
    return rc;
}
