/* Reward and metric summaries, feature flags, the caller's identity. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tars/clock.h"
#include "tars/str.h"
#include "tars/json.h"

#define SUMMARY_WINDOW 100

struct reward_acc {
    int64_t n;
    double first, sum, sumsq, min, max; /* first = the newest */
};

static int acc_state(void *ctx, const struct tars_agent_state *s)
{
    struct reward_acc *a = ctx;
    if (a->n == 0) {
        a->first = a->min = a->max = s->reward;
    }
    a->min = fmin(a->min, s->reward);
    a->max = fmax(a->max, s->reward);
    a->sum += s->reward;
    a->sumsq += s->reward * s->reward;
    a->n++;
    return 0;
}

static double acc_std(const struct reward_acc *a)
{
    double mean, var;
    if (a->n < 2)
        return 0;
    mean = a->sum / (double)a->n;
    var = (a->sumsq - (double)a->n * mean * mean) / (double)(a->n - 1);
    return var > 0 ? sqrt(var) : 0;
}

struct summary {
    tars_store *st;
    json_t *agent_rewards;
    struct reward_acc global;
    double current_sum;
    int agents;
    int rc;
    struct tars_err *err;
};

static int summarise_agent(void *ctx, const struct tars_agent *a)
{
    struct summary *s = ctx;
    struct reward_acc acc;
    int64_t total;

    memset(&acc, 0, sizeof(acc));
    s->rc =
        tars_store_agent_history(s->st, a->id, SUMMARY_WINDOW, 0, &total, acc_state, &acc, s->err);
    if (s->rc)
        return 1;
    if (acc.n == 0)
        return 0;
    json_object_set_new(s->agent_rewards, a->id,
                        json_pack("{s:f,s:f,s:f,s:f,s:f}", "current", acc.first, "mean",
                                  acc.sum / (double)acc.n, "std", acc_std(&acc), "min", acc.min,
                                  "max", acc.max));
    s->global.sum += acc.sum;
    s->global.sumsq += acc.sumsq;
    s->global.n += acc.n;
    s->current_sum += acc.first;
    s->agents++;
    return 0;
}

struct values {
    json_t *list;
    double sum;
};

static int add_value(void *ctx, const struct tars_metric_point *p)
{
    struct values *v = ctx;
    json_t *labels = tars_json_object_from_text(p->labels_json);

    v->sum += p->value;
    return json_array_append_new(v->list,
                                 json_pack("{s:o,s:f,s:s,s:o}", "timestamp",
                                           srv_json_time(p->timestamp), "value", p->value, "region",
                                           p->region, "labels", labels ? labels : json_object()));
}

/* Values of one named series, newest first (at most 1000). */
struct series {
    double value[1000];
    size_t count;
};

static int add_series_value(void *ctx, const struct tars_metric_point *p)
{
    struct series *s = ctx;
    if (s->count == sizeof(s->value) / sizeof(s->value[0]))
        return 1;
    s->value[s->count++] = p->value;
    return 0;
}

/* Conflicts per step, from the "conflicts" series (one point per step). */
static json_t *conflicts_json(tars_store *st, int *rc, struct tars_err *err)
{
    double total = 0, recent = 0;
    struct series *sp = calloc(1, sizeof(*sp));
    json_t *out;

    if (!sp)
        return NULL;
    *rc = tars_store_metric_values(st, "conflicts", NULL, 1000, add_series_value, sp, err);
    for (size_t i = 0; i < sp->count; i++) {
        total += sp->value[i];
        if (i < 10)
            recent += sp->value[i];
    }
    out = json_pack("{s:f,s:f,s:o}", "total", total, "recent_10", recent, "rate_per_step",
                    sp->count ? json_real(total / (double)sp->count) : json_null());
    free(sp);
    return out;
}

/* Nash equilibrium searches, from "nash_iterations" (iterations per search);
 * a search converged when it stopped before the cap of 100 iterations. */
static json_t *nash_json(tars_store *st, int *rc, struct tars_err *err)
{
    struct series *sp = calloc(1, sizeof(*sp));
    double sum = 0, converged = 0;
    json_t *out;

    if (!sp)
        return NULL;
    *rc = tars_store_metric_values(st, "nash_iterations", NULL, 1000, add_series_value, sp, err);
    for (size_t i = 0; i < sp->count; i++) {
        sum += sp->value[i];
        converged += sp->value[i] < 100;
    }
    out = json_pack(
        "{s:o,s:o}", "avg_iterations", sp->count ? json_real(sum / (double)sp->count) : json_null(),
        "convergence_rate", sp->count ? json_real(converged / (double)sp->count) : json_null());
    free(sp);
    return out;
}

static json_t *global_json(const struct summary *s, const struct tars_reward_stats *st)
{
    double mean = s->global.n ? s->global.sum / (double)s->global.n : 0;
    const char *trend = "stable";

    if (st->count >= 20 &&
        st->mean_recent > st->mean_previous + 0.1 * (st->stddev ? st->stddev : 1))
        trend = "improving";
    else if (st->count >= 20 &&
             st->mean_recent < st->mean_previous - 0.1 * (st->stddev ? st->stddev : 1))
        trend = "declining";
    if (!s->agents)
        return json_pack("{s:n,s:n,s:n,s:s}", "current", "mean_100", "std_100", "trend", "stable");
    return json_pack("{s:f,s:f,s:f,s:s}", "current", s->current_sum / s->agents, "mean_100", mean,
                     "std_100", acc_std(&s->global), "trend", trend);
}

void h_metrics_summary(struct srv_req *r)
{
    struct tars_err err = TARS_ERR_INIT;
    char metric[TARS_NAME_MAX] = "agent_reward", agent_type[TARS_ID_MAX];
    bool has_metric, has_type;
    struct summary s;
    struct tars_reward_stats st;
    struct values v;
    json_t *conflicts, *nash, *out;
    int rc2 = 0, rc3 = 0;
    uint64_t t0 = tars_mono_ns();

    if (!srv_query_str(r, "metric", metric, sizeof(metric), &has_metric) ||
        !srv_query_str(r, "agent_type", agent_type, sizeof(agent_type), &has_type))
        return;
    if (!has_metric)
        tars_strlcpy(metric, "agent_reward", sizeof(metric));
    memset(&s, 0, sizeof(s));
    s.st = r->th->store;
    s.err = &err;
    s.agent_rewards = json_object();
    v.list = json_array();
    v.sum = 0;
    if (tars_store_agents_each(s.st, summarise_agent, &s, &err) || s.rc ||
        tars_store_reward_stats(s.st, NULL, &st, &err) ||
        tars_store_metric_values(s.st, metric, has_type ? agent_type : NULL, 100, add_value, &v,
                                 &err)) {
        json_decref(s.agent_rewards);
        json_decref(v.list);
        srv_send_store_error(r, &err);
        return;
    }
    conflicts = conflicts_json(s.st, &rc2, &err);
    nash = nash_json(s.st, &rc3, &err);
    srv_metrics_db(r->th->shard, DB_METRIC_VALUES, tars_mono_ns() - t0);
    out = json_pack("{s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "global_reward", global_json(&s, &st),
                    "agent_rewards", s.agent_rewards, "conflicts", conflicts, "nash_convergence",
                    nash, "metric", metric, "agent_type",
                    has_type ? json_string(agent_type) : json_null(), "values", v.list);
    if (rc2 || rc3) {
        json_decref(out);
        srv_send_store_error(r, &err);
        return;
    }
    srv_send_json(r, 200, out);
}

void h_feature_flags(struct srv_req *r)
{
    srv_send_json(r, 200,
                  json_pack("{s:{s:b,s:b,s:b,s:b,s:b}}", "flags", "websocket_reconnect_enabled", 1,
                            "grafana_optimization_enabled", 1, "jaeger_tracing_enabled", 1,
                            "database_indexes_enabled", 1, "ppo_memory_optimization_enabled", 1));
}

void h_user(struct srv_req *r)
{
    const struct tars_principal *p = &r->principal;

    srv_send_json(r, 200,
                  json_pack("{s:s,s:s,s:s,s:[s],s:s}", "id", p->user_id, "username", p->username,
                            "role", tars_role_name(p->role), "roles", tars_role_name(p->role),
                            "auth", p->via_api_key ? "api_key" : "jwt"));
}
