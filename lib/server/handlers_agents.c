/* Agents: list, detail with history and statistics, paged history. */
#include <string.h>

#include "server_int.h"
#include "tars/clock.h"
#include "tars/json.h"

#define DETAIL_HISTORY 100

static json_t *agent_json(const struct tars_agent *a)
{
    json_t *v = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:o}", "id", a->id, "agent_id", a->id, "type",
        a->type, "name", a->name, "status", a->status, "region", a->region, "state_dim",
        (json_int_t)a->state_dim, "action_dim", (json_int_t)a->action_dim, "current_episode",
        (json_int_t)a->current_episode, "total_steps", (json_int_t)a->total_steps,
        "recent_reward_mean", a->recent_reward_mean, "updated_at", srv_json_time(a->updated_at));
    json_t *params = tars_json_object_from_text(a->params_json);

    if (v && params)
        json_object_update_missing(v, params); /* type-specific fields; never override ours */
    json_decref(params);
    return v;
}

static json_t *state_json(const struct tars_agent_state *s)
{
    return json_pack("{s:I,s:I,s:f,s:f,s:s,s:o}", "episode", (json_int_t)s->episode, "step",
                     (json_int_t)s->step, "reward", s->reward, "epsilon", s->epsilon, "region",
                     s->region, "timestamp", srv_json_time(s->updated_at));
}

static int add_agent(void *ctx, const struct tars_agent *a)
{
    return json_array_append_new(ctx, agent_json(a));
}

static int add_state(void *ctx, const struct tars_agent_state *s)
{
    return json_array_append_new(ctx, state_json(s));
}

static int read_agents(void *ctx, json_t **out, struct tars_err *err)
{
    struct srv_thread *th = ctx;
    json_t *list = json_array();
    uint64_t t0 = tars_mono_ns();
    int rc = tars_store_agents_each(th->store, add_agent, list, err);

    srv_metrics_db(th->shard, DB_AGENTS_LIST, tars_mono_ns() - t0);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o,s:I}", "agents", list, "total", (json_int_t)json_array_size(list));
    return 0;
}

void h_agents_list(struct srv_req *r)
{
    if (srv_cache_send(r, &r->th->agents_cache))
        return;
    srv_cache_fill_and_send(r, &r->th->agents_cache, read_agents, r->th);
}

static const char *trend(const struct tars_reward_stats *st)
{
    double delta = st->mean_recent - st->mean_previous;
    double scale = st->stddev > 0 ? st->stddev : 1.0;

    if (st->count < 20)
        return "stable";
    if (delta > 0.1 * scale)
        return "improving";
    if (delta < -0.1 * scale)
        return "declining";
    return "stable";
}

void h_agent_get(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_agent a;
    struct tars_reward_stats st;
    json_t *v, *history = json_array();
    int64_t total = 0;
    uint64_t t0 = tars_mono_ns();
    int rc = tars_store_agent_get(r->th->store, r->params.value[0], &a, &err);

    srv_metrics_db(r->th->shard, DB_AGENT_GET, tars_mono_ns() - t0);
    if (rc) {
        json_decref(history);
        if (rc == TARS_ENOTFOUND)
            srv_send_error(r, 404, "not_found", "no agent \"%s\"", r->params.value[0]);
        else
            srv_send_store_error(r, &err);
        return;
    }
    v = agent_json(&a);
    tars_agent_release(&a);
    rc = tars_store_agent_history(r->th->store, r->params.value[0], DETAIL_HISTORY, 0, &total,
                                  add_state, history, &err);
    if (rc == 0)
        rc = tars_store_reward_stats(r->th->store, r->params.value[0], &st, &err);
    if (rc) {
        json_decref(v);
        json_decref(history);
        srv_send_store_error(r, &err);
        return;
    }
    json_object_set_new(v, "history", history);
    json_object_set_new(v, "statistics",
                        json_pack("{s:I,s:f,s:f,s:f,s:f,s:s}", "total_steps", (json_int_t)st.count,
                                  "mean_reward", st.mean, "std_reward", st.stddev, "min_reward",
                                  st.min, "max_reward", st.max, "recent_trend", trend(&st)));
    srv_send_json(r, 200, v);
}

void h_agent_history(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_agent a;
    int64_t limit = 100, offset = 0, total = 0;
    json_t *history;
    uint64_t t0;
    int rc;

    if (!srv_query_int(r, "limit", 1, 1000, &limit) ||
        !srv_query_int(r, "offset", 0, INT32_MAX, &offset))
        return;
    rc = tars_store_agent_get(r->th->store, r->params.value[0], &a, &err);
    if (rc) {
        if (rc == TARS_ENOTFOUND)
            srv_send_error(r, 404, "not_found", "no agent \"%s\"", r->params.value[0]);
        else
            srv_send_store_error(r, &err);
        return;
    }
    tars_agent_release(&a);
    history = json_array();
    t0 = tars_mono_ns();
    rc = tars_store_agent_history(r->th->store, r->params.value[0], limit, offset, &total,
                                  add_state, history, &err);
    srv_metrics_db(r->th->shard, DB_AGENT_HISTORY, tars_mono_ns() - t0);
    if (rc) {
        json_decref(history);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(r, 200,
                  json_pack("{s:s,s:o,s:I,s:I,s:I}", "agent_id", r->params.value[0], "history",
                            history, "total", (json_int_t)total, "limit", (json_int_t)limit,
                            "offset", (json_int_t)offset));
}
