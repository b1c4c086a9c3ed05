/* Agents (one row each, replaced in place) and their history (agent_states). */
#include "store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGENT_COLUMNS                                                                              \
    "id, type, name, status, region, state_dim, action_dim, current_episode, total_steps, "        \
    "recent_reward_mean, params, updated_at"
#define STATE_COLUMNS "id, agent_id, agent_type, region, episode, step, reward, epsilon, updated_at"
#define RECENT_WINDOW 10

void tars_agent_release(struct tars_agent *a)
{
    if (!a)
        return;
    free(a->params_json);
    a->params_json = NULL;
}

static int agent_from_row(const struct db_row *r, struct tars_agent *a, struct tars_err *err)
{
    int rc;

    memset(a, 0, sizeof(*a));
    rc = db_copy_text(r, 0, a->id, sizeof(a->id), err);
    if (!rc)
        rc = db_copy_text(r, 1, a->type, sizeof(a->type), err);
    if (!rc)
        rc = db_copy_text(r, 2, a->name, sizeof(a->name), err);
    if (!rc)
        rc = db_copy_text(r, 3, a->status, sizeof(a->status), err);
    if (!rc)
        rc = db_copy_text(r, 4, a->region, sizeof(a->region), err);
    a->state_dim = db_get_int(r, 5);
    a->action_dim = db_get_int(r, 6);
    a->current_episode = db_get_int(r, 7);
    a->total_steps = db_get_int(r, 8);
    a->recent_reward_mean = db_get_real(r, 9);
    a->updated_at = db_get_int(r, 11);
    if (!rc)
        a->params_json = db_dup_text(r, 10);
    return rc;
}

static int check_agent(const struct tars_agent *a, struct tars_err *err)
{
    int rc = store_check_field("agent id", a->id, sizeof(a->id), err);

    if (!rc)
        rc = store_check_field("agent type", a->type, sizeof(a->type), err);
    if (!rc)
        rc = store_check_field("agent name", a->name, sizeof(a->name), err);
    if (!rc)
        rc = store_check_field("agent status", a->status, sizeof(a->status), err);
    if (!rc)
        rc = store_check_field("agent region", a->region, sizeof(a->region), err);
    if (!rc)
        rc = store_check_text("agent params", a->params_json, STORE_JSON_MAX, false, err);
    if (!rc && !a->id[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty agent id");
    return rc;
}

int tars_store_agent_put(tars_store *st, const struct tars_agent *a, struct tars_err *err)
{
    struct db_value p[12];
    int rc = check_agent(a, err);

    if (rc)
        return rc;
    p[0] = db_text(a->id);
    p[1] = db_text(a->type);
    p[2] = db_text(a->name);
    p[3] = db_text(a->status);
    p[4] = db_text(a->region);
    p[5] = db_int(a->state_dim);
    p[6] = db_int(a->action_dim);
    p[7] = db_int(a->current_episode);
    p[8] = db_int(a->total_steps);
    p[9] = db_real(a->recent_reward_mean);
    p[10] = db_text(a->params_json);
    p[11] = db_int(a->updated_at);
    return db_query(st->db,
                    "INSERT INTO agents (" AGENT_COLUMNS ") "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                    "ON CONFLICT (id) DO UPDATE SET type = excluded.type, name = excluded.name, "
                    "status = excluded.status, region = excluded.region, "
                    "state_dim = excluded.state_dim, action_dim = excluded.action_dim, "
                    "current_episode = excluded.current_episode, "
                    "total_steps = excluded.total_steps, "
                    "recent_reward_mean = excluded.recent_reward_mean, "
                    "params = excluded.params, updated_at = excluded.updated_at",
                    p, 12, NULL, NULL, err);
}

struct agent_one {
    struct tars_agent *out;
    bool found;
};

static int agent_one_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct agent_one *one = ctx;
    int rc = agent_from_row(row, one->out, err);

    one->found = rc == TARS_OK;
    return rc ? rc : DB_STOP;
}

int tars_store_agent_get(tars_store *st, const char *id, struct tars_agent *out,
                         struct tars_err *err)
{
    struct agent_one one = {out, false};
    struct db_value p[] = {db_text(id)};
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_check_text("agent id", id, TARS_ID_MAX, true, err);
    if (!rc)
        rc = db_query(st->db, "SELECT " AGENT_COLUMNS " FROM agents WHERE id = $1", p, 1,
                      agent_one_row, &one, err);
    if (!rc && !one.found)
        rc = tars_err_set(err, TARS_ENOTFOUND, "agent \"%s\" not found", id);
    if (rc)
        tars_agent_release(out);
    return rc;
}

struct agent_each {
    tars_agent_fn fn;
    void *ctx;
};

static int agent_each_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct agent_each *each = ctx;
    struct tars_agent a;
    int rc = agent_from_row(row, &a, err);

    if (!rc)
        rc = store_callback_result(each->fn(each->ctx, &a), err);
    tars_agent_release(&a);
    return rc;
}

int tars_store_agents_each(tars_store *st, tars_agent_fn fn, void *ctx, struct tars_err *err)
{
    struct agent_each each = {fn, ctx};
    return db_query(st->db, "SELECT " AGENT_COLUMNS " FROM agents ORDER BY id", NULL, 0,
                    agent_each_row, &each, err);
}

/* ---- history ---- */

static int check_state(const struct tars_agent_state *s, struct tars_err *err)
{
    int rc = store_check_field("agent id", s->agent_id, sizeof(s->agent_id), err);

    if (!rc)
        rc = store_check_field("agent type", s->agent_type, sizeof(s->agent_type), err);
    if (!rc)
        rc = store_check_field("region", s->region, sizeof(s->region), err);
    if (!rc && !s->agent_id[0])
        rc = tars_err_set(err, TARS_EINVAL, "empty agent id");
    return rc;
}

int tars_store_agent_state_add(tars_store *st, const struct tars_agent_state *s,
                               struct tars_err *err)
{
    struct db_value p[8];
    int rc = check_state(s, err);

    if (rc)
        return rc;
    p[0] = db_text(s->agent_id);
    p[1] = db_text(s->agent_type);
    p[2] = db_text(s->region);
    p[3] = db_int(s->episode);
    p[4] = db_int(s->step);
    p[5] = db_real(s->reward);
    p[6] = db_real(s->epsilon);
    p[7] = db_int(s->updated_at);
    return db_query(st->db,
                    "INSERT INTO agent_states (agent_id, agent_type, region, episode, step, "
                    "reward, epsilon, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    p, 8, NULL, NULL, err);
}

struct state_each {
    tars_agent_state_fn fn;
    void *ctx;
};

static int state_each_row(void *ctx, const struct db_row *r, struct tars_err *err)
{
    struct state_each *each = ctx;
    struct tars_agent_state s;
    int rc;

    memset(&s, 0, sizeof(s));
    s.id = db_get_int(r, 0);
    rc = db_copy_text(r, 1, s.agent_id, sizeof(s.agent_id), err);
    if (!rc)
        rc = db_copy_text(r, 2, s.agent_type, sizeof(s.agent_type), err);
    if (!rc)
        rc = db_copy_text(r, 3, s.region, sizeof(s.region), err);
    s.episode = db_get_int(r, 4);
    s.step = db_get_int(r, 5);
    s.reward = db_get_real(r, 6);
    s.epsilon = db_get_real(r, 7);
    s.updated_at = db_get_int(r, 8);
    if (rc)
        return rc;
    return store_callback_result(each->fn(each->ctx, &s), err);
}

int tars_store_agent_history(tars_store *st, const char *agent_id, int64_t limit, int64_t offset,
                             int64_t *total, tars_agent_state_fn fn, void *ctx,
                             struct tars_err *err)
{
    struct state_each each = {fn, ctx};
    struct db_value p[] = {db_text(agent_id), db_int(limit), db_int(offset)};
    int rc = store_check_text("agent id", agent_id, TARS_ID_MAX, true, err);

    if (!rc)
        rc = store_check_page(limit, offset, err);
    if (!rc)
        rc = db_query_int(st->db, "SELECT COUNT(*) FROM agent_states WHERE agent_id = $1", p, 1,
                          total, err);
    if (rc)
        return rc;
    return db_query(st->db,
                    "SELECT " STATE_COLUMNS " FROM agent_states WHERE agent_id = $1 "
                    "ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3",
                    p, 3, state_each_row, &each, err);
}

/* ---- reward statistics ---- */

struct recent {
    double rewards[2 * RECENT_WINDOW];
    int count;
};

static int recent_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct recent *r = ctx;

    (void)err;
    if (r->count >= 2 * RECENT_WINDOW)
        return DB_STOP;
    r->rewards[r->count++] = db_get_real(row, 0);
    return 0;
}

static int totals_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct tars_reward_stats *out = ctx;

    (void)err;
    out->count = db_get_int(row, 0);
    out->mean = db_get_real(row, 1);
    out->min = db_get_real(row, 2);
    out->max = db_get_real(row, 3);
    return DB_STOP;
}

static int sum_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    (void)err;
    *(double *)ctx = db_get_real(row, 0);
    return DB_STOP;
}

static double mean_of(const double *v, int n)
{
    double sum = 0.0;

    for (int i = 0; i < n; i++)
        sum += v[i];
    return n ? sum / n : 0.0;
}

/* Fills last, mean_recent and mean_previous from the newest 20 rows. */
static int reward_recent(tars_store *st, const struct store_where *w, struct tars_reward_stats *out,
                         struct tars_err *err)
{
    struct store_where page = *w;
    struct recent r = {{0}, 0};
    char sql[512];
    int rc;

    where_page(&page, 2 * RECENT_WINDOW, -1);
    rc = where_sql(&page, "SELECT reward FROM agent_states", " ORDER BY updated_at DESC, id DESC",
                   sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, page.params, page.nparams, recent_row, &r, err);
    if (rc)
        return rc;
    out->last = r.count ? r.rewards[0] : 0.0;
    out->mean_recent = mean_of(r.rewards, r.count < RECENT_WINDOW ? r.count : RECENT_WINDOW);
    if (r.count > RECENT_WINDOW)
        out->mean_previous = mean_of(r.rewards + RECENT_WINDOW, r.count - RECENT_WINDOW);
    return TARS_OK;
}

/* Population standard deviation, from a second pass around the mean. */
static int reward_stddev(tars_store *st, const struct store_where *w, struct tars_reward_stats *out,
                         struct tars_err *err)
{
    struct store_where dev = *w;
    char sql[512], expr[96];
    double sum = 0.0;
    int rc, n;

    if (dev.nparams >= DB_MAX_PARAMS)
        return tars_err_set(err, TARS_EINTERNAL, "too many parameters");
    dev.params[dev.nparams++] = db_real(out->mean);
    n = snprintf(expr, sizeof(expr),
                 "SELECT SUM((reward - $%d) * (reward - $%d)) FROM agent_states", dev.nparams,
                 dev.nparams);
    if (n < 0 || (size_t)n >= sizeof(expr))
        return tars_err_set(err, TARS_EINTERNAL, "query text too long");
    rc = where_sql(&dev, expr, "", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, dev.params, dev.nparams, sum_row, &sum, err);
    if (!rc)
        out->stddev = out->count ? sqrt(sum / (double)out->count) : 0.0;
    return rc;
}

int tars_store_reward_stats(tars_store *st, const char *agent_id, struct tars_reward_stats *out,
                            struct tars_err *err)
{
    struct store_where w;
    char sql[512];
    int rc;

    memset(out, 0, sizeof(*out));
    where_init(&w);
    rc = store_check_text("agent id", agent_id, TARS_ID_MAX, false, err);
    if (rc)
        return rc;
    if (agent_id)
        where_add(&w, "agent_id =", db_text(agent_id));
    rc = where_sql(&w, "SELECT COUNT(*), AVG(reward), MIN(reward), MAX(reward) FROM agent_states",
                   "", sql, sizeof(sql), err);
    if (!rc)
        rc = db_query(st->db, sql, w.params, w.nparams, totals_row, out, err);
    if (!rc && out->count > 0)
        rc = reward_stddev(st, &w, out, err);
    if (!rc && out->count > 0)
        rc = reward_recent(st, &w, out, err);
    return rc;
}
