/*
 * Evaluations, soft-deleted (status "deleted"). A missing reward or duration
 * is NULL in the database; the column "timestamp" repeats created_at (see
 * db/migrations/<dialect>/001_schema.sql).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define EVAL_COLUMNS                                                                               \
    "id, agent_id, region, status, reward, duration_ms, details, created_at, updated_at"

void tars_evaluation_release(struct tars_evaluation *e)
{
    if (!e)
        return;
    free(e->details_json);
    e->details_json = NULL;
}

static int eval_from_row(const struct db_row *r, struct tars_evaluation *e, struct tars_err *err)
{
    int rc;

    memset(e, 0, sizeof(*e));
    rc = db_copy_text(r, 0, e->id, sizeof(e->id), err);
    if (!rc)
        rc = db_copy_text(r, 1, e->agent_id, sizeof(e->agent_id), err);
    if (!rc)
        rc = db_copy_text(r, 2, e->region, sizeof(e->region), err);
    if (!rc)
        rc = db_copy_text(r, 3, e->status, sizeof(e->status), err);
    e->has_reward = !db_is_null(r, 4);
    e->reward = db_get_real(r, 4);
    e->duration_ms = db_is_null(r, 5) ? -1 : db_get_int(r, 5);
    e->created_at = db_get_int(r, 7);
    e->updated_at = db_get_int(r, 8);
    if (!rc)
        e->details_json = db_dup_text(r, 6);
    return rc;
}

static int check_eval(const struct tars_evaluation *e, struct tars_err *err)
{
    int rc = store_check_field("evaluation id", e->id, sizeof(e->id), err);

    if (!rc)
        rc = store_check_field("agent id", e->agent_id, sizeof(e->agent_id), err);
    if (!rc)
        rc = store_check_field("region", e->region, sizeof(e->region), err);
    if (!rc)
        rc = store_check_field("status", e->status, sizeof(e->status), err);
    if (!rc)
        rc = store_check_text("evaluation details", e->details_json, STORE_JSON_MAX, false, err);
    if (!rc && !e->id[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty evaluation id");
    return rc;
}

/* The parameters $1..$7 shared by insert and update. */
static void eval_params(const struct tars_evaluation *e, struct db_value *p)
{
    p[0] = db_text(e->id);
    p[1] = db_text(e->agent_id);
    p[2] = db_text(e->region);
    p[3] = db_text(e->status);
    p[4] = e->has_reward ? db_real(e->reward) : db_null();
    p[5] = e->duration_ms >= 0 ? db_int(e->duration_ms) : db_null();
    p[6] = db_text(e->details_json);
}

int tars_store_evaluation_add(tars_store *st, const struct tars_evaluation *e, struct tars_err *err)
{
    struct db_value p[9];
    int rc = check_eval(e, err);

    if (rc)
        return rc;
    eval_params(e, p);
    p[7] = db_int(e->created_at);
    p[8] = db_int(e->updated_at);
    rc = db_query(st->db,
                  "INSERT INTO evaluations (" EVAL_COLUMNS ", timestamp) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)",
                  p, 9, NULL, NULL, err);
    if (rc == TARS_ECONFLICT)
        return tars_err_set(err, rc, "evaluation \"%s\" already exists", e->id);
    return rc;
}

struct eval_one {
    struct tars_evaluation *out;
    bool found;
};

static int eval_one_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct eval_one *one = ctx;
    int rc = eval_from_row(row, one->out, err);

    one->found = rc == TARS_OK;
    return rc ? rc : DB_STOP;
}

/* Deleted rows are returned too: the caller sees status "deleted". */
int tars_store_evaluation_get(tars_store *st, const char *id, struct tars_evaluation *out,
                              struct tars_err *err)
{
    struct eval_one one = {out, false};
    struct db_value p[] = {db_text(id)};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_check_text("evaluation id", id, TARS_ID_MAX, true, err);
    if (!rc)
        rc = db_query(st->db, "SELECT " EVAL_COLUMNS " FROM evaluations WHERE id = $1", p, 1,
                      eval_one_row, &one, err);
    if (!rc && !one.found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "evaluation \"%s\" not found", id);
    if (rc)
        tars_evaluation_release(out);
    return rc;
}

static int found_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    (void)row;
    (void)err;
    *(bool *)ctx = true;
    return 0;
}

int tars_store_evaluation_update(tars_store *st, const struct tars_evaluation *e,
                                 struct tars_err *err)
{
    struct db_value p[8];
    bool found = false;
    int rc = check_eval(e, err);

    if (rc)
        return rc;
    eval_params(e, p);
    p[7] = db_int(e->updated_at);
    rc = db_query(st->db,
                  "UPDATE evaluations SET agent_id = $2, region = $3, status = $4, reward = $5, "
                  "duration_ms = $6, details = $7, updated_at = $8 "
                  "WHERE id = $1 AND status <> 'deleted' RETURNING id",
                  p, 8, found_row, &found, err);
    if (!rc && !found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "evaluation \"%s\" not found", e->id);
    return rc;
}

int tars_store_evaluation_delete(tars_store *st, const char *id, int64_t now_ms,
                                 struct tars_err *err)
{
    struct db_value p[] = {db_text(id), db_int(now_ms)};
    bool found = false;
    int rc = store_check_text("evaluation id", id, TARS_ID_MAX, true, err);

    if (!rc)
        rc = db_query(st->db,
                      "UPDATE evaluations SET status = 'deleted', updated_at = $2 "
                      "WHERE id = $1 AND status <> 'deleted' RETURNING id",
                      p, 2, found_row, &found, err);
    if (!rc && !found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "evaluation \"%s\" not found", id);
    return rc;
}

static int check_filter(const struct tars_evaluation_filter *f, struct tars_err *err)
{
    int rc = store_check_text("agent id", f->agent_id, TARS_ID_MAX, false, err);

    if (!rc)
        rc = store_check_text("region", f->region, TARS_ID_MAX, false, err);
    if (!rc)
        rc = store_check_text("status", f->status, TARS_STATUS_MAX, false, err);
    if (!rc)
        rc = store_check_page(f->limit, f->offset, err);
    return rc;
}

/* Only the filters given become conditions, so each combination gets its
 * own cached statement and the planner sees plain equalities. */
static void filter_where(const struct tars_evaluation_filter *f, struct store_where *w)
{
    where_init(w);
    if (f->agent_id)
        where_add(w, "agent_id =", db_text(f->agent_id));
    if (f->region)
        where_add(w, "region =", db_text(f->region));
    if (f->status)
        where_add(w, "status =", db_text(f->status));
    else
        where_add_raw(w, "status <> 'deleted'");
    if (f->since > 0)
        where_add(w, "created_at >=", db_int(f->since));
}

struct eval_each {
    tars_evaluation_fn fn;
    void *ctx;
};

static int eval_each_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct eval_each *each = ctx;
    struct tars_evaluation e;
    int rc = eval_from_row(row, &e, err);

    if (!rc)
        rc = store_callback_result(each->fn(each->ctx, &e), err);
    tars_evaluation_release(&e);
    return rc;
}

int tars_store_evaluations_list(tars_store *st, const struct tars_evaluation_filter *f,
                                int64_t *total, tars_evaluation_fn fn, void *ctx,
                                struct tars_err *err)
{
    struct eval_each each = {fn, ctx};
    struct store_where w;
    char sql[512];
    int rc = check_filter(f, err);

    *total = 0;
    if (rc)
        return rc;
    filter_where(f, &w);
    rc = where_sql(&w, "SELECT COUNT(*) FROM evaluations", "", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query_int(st->db, sql, w.params, w.nparams, total, err);
    if (rc)
        return rc;
    where_page(&w, f->limit, f->offset);
    rc = where_sql(&w, "SELECT " EVAL_COLUMNS " FROM evaluations",
                   " ORDER BY created_at DESC, id DESC", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, w.params, w.nparams, eval_each_row, &each, err);
    return rc;
}
