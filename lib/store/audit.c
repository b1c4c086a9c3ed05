/* The audit log: authentication outcomes and admin actions, newest first. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_COLUMNS                                                                              \
    "id, timestamp, event_type, user_id, username, action, resource_type, resource_id, "           \
    "client_ip, success, details"

void tars_audit_event_release(struct tars_audit_event *ev)
{
    if (!ev)
        return;
    free(ev->details_json);
    ev->details_json = NULL;
}

static int check_event(const struct tars_audit_event *ev, struct tars_err *err)
{
    int rc = store_check_field("event type", ev->event_type, sizeof(ev->event_type), err);

    if (!rc)
        rc = store_check_field("user id", ev->user_id, sizeof(ev->user_id), err);
    if (!rc)
        rc = store_check_field("username", ev->username, sizeof(ev->username), err);
    if (!rc)
        rc = store_check_field("action", ev->action, sizeof(ev->action), err);
    if (!rc)
        rc = store_check_field("resource type", ev->resource_type, sizeof(ev->resource_type), err);
    if (!rc)
        rc = store_check_field("resource id", ev->resource_id, sizeof(ev->resource_id), err);
    if (!rc)
        rc = store_check_field("client ip", ev->client_ip, sizeof(ev->client_ip), err);
    if (!rc)
        rc = store_check_text("audit details", ev->details_json, STORE_JSON_MAX, false, err);
    if (!rc && !ev->event_type[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty event type");
    return rc;
}

/* The id is chosen by the database; ev->id is ignored. */
int tars_store_audit_add(tars_store *st, const struct tars_audit_event *ev, struct tars_err *err)
{
    struct db_value p[10];
    int rc = check_event(ev, err);

    if (rc)
        return rc;
    p[0] = db_int(ev->timestamp);
    p[1] = db_text(ev->event_type);
    p[2] = db_text(ev->user_id);
    p[3] = db_text(ev->username);
    p[4] = db_text(ev->action);
    p[5] = db_text(ev->resource_type);
    p[6] = db_text(ev->resource_id);
    p[7] = db_text(ev->client_ip);
    p[8] = db_int(ev->success ? 1 : 0);
    p[9] = db_text(ev->details_json);
    return db_query(st->db,
                    "INSERT INTO audit_logs (timestamp, event_type, user_id, username, action, "
                    "resource_type, resource_id, client_ip, success, details) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    p, 10, NULL, NULL, err);
}

static int event_from_row(const struct db_row *r, struct tars_audit_event *ev, struct tars_err *err)
{
    int rc;

    memset(ev, 0, sizeof(*ev));
    ev->id = db_get_int(r, 0);
    ev->timestamp = db_get_int(r, 1);
    rc = db_copy_text(r, 2, ev->event_type, sizeof(ev->event_type), err);
    if (!rc)
        rc = db_copy_text(r, 3, ev->user_id, sizeof(ev->user_id), err);
    if (!rc)
        rc = db_copy_text(r, 4, ev->username, sizeof(ev->username), err);
    if (!rc)
        rc = db_copy_text(r, 5, ev->action, sizeof(ev->action), err);
    if (!rc)
        rc = db_copy_text(r, 6, ev->resource_type, sizeof(ev->resource_type), err);
    if (!rc)
        rc = db_copy_text(r, 7, ev->resource_id, sizeof(ev->resource_id), err);
    if (!rc)
        rc = db_copy_text(r, 8, ev->client_ip, sizeof(ev->client_ip), err);
    ev->success = db_get_int(r, 9) != 0;
    if (!rc)
        ev->details_json = db_dup_text(r, 10);
    return rc;
}

struct event_each {
    tars_audit_fn fn;
    void *ctx;
};

static int event_each_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct event_each *each = ctx;
    struct tars_audit_event ev;
    int rc = event_from_row(row, &ev, err);

    if (!rc)
        rc = store_callback_result(each->fn(each->ctx, &ev), err);
    tars_audit_event_release(&ev);
    return rc;
}

int tars_store_audit_list(tars_store *st, const char *event_type, int64_t limit, int64_t offset,
                          int64_t *total, tars_audit_fn fn, void *ctx, struct tars_err *err)
{
    struct event_each each = {fn, ctx};
    struct store_where w;
    char sql[512];
    int rc;

    *total = 0;
    rc = store_check_text("event type", event_type, TARS_ID_MAX, false, err);
    if (!rc)
        rc = store_check_page(limit, offset, err);
    if (rc)
        return rc;
    where_init(&w);
    if (event_type)
        where_add(&w, "event_type =", db_text(event_type));
    rc = where_sql(&w, "SELECT COUNT(*) FROM audit_logs", "", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query_int(st->db, sql, w.params, w.nparams, total, err);
    if (rc)
        return rc;
    where_page(&w, limit, offset);
    rc = where_sql(&w, "SELECT " AUDIT_COLUMNS " FROM audit_logs",
                   " ORDER BY timestamp DESC, id DESC", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, w.params, w.nparams, event_each_row, &each, err);
    return rc;
}
