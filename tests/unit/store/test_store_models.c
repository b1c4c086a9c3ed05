/* Store tests: every model (users, keys, agents, evaluations, ...), field by field. */
#include "store_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tars/clock.h"
#include "tars/str.h"

/* ---- users ---- */

void test_users(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_user u, got, dup;
    struct names names = {.n = 0};
    int64_t before = tars_wall_ms();

    make_user(&u, "carol", "admin");
    u.disabled = true;
    assert_int_equal(tars_store_user_add(st, &u, &err), TARS_OK);
    assert_int_equal(strlen(u.id), 36);
    assert_int_equal(u.id[14], '4');
    assert_true(u.created_at >= before && u.created_at <= tars_wall_ms());
    assert_int_equal(tars_store_user_by_name(st, "carol", &got, &err), TARS_OK);
    assert_string_equal(got.id, u.id);
    assert_string_equal(got.username, "carol");
    assert_string_equal(got.role, "admin");
    assert_string_equal(got.password_hash, "$scrypt$hash-of-carol");
    assert_int_equal(got.created_at, u.created_at);
    assert_true(got.disabled);
    memset(&got, 0, sizeof(got));
    assert_int_equal(tars_store_user_by_id(st, u.id, &got, &err), TARS_OK);
    assert_string_equal(got.username, "carol");

    make_user(&dup, "carol", "viewer");
    assert_int_equal(tars_store_user_add(st, &dup, &err), TARS_ECONFLICT);
    assert_int_equal(err.code, TARS_ECONFLICT);
    assert_int_equal(tars_store_user_by_name(st, "nobody", &got, &err), TARS_ENOTFOUND);
    assert_int_equal(tars_store_user_by_id(st, "no-such-id", &got, &err), TARS_ENOTFOUND);

    make_user(&u, "alice", "viewer");
    assert_int_equal(tars_store_user_add(st, &u, &err), TARS_OK);
    assert_int_equal(tars_store_user_by_name(st, "alice", &got, &err), TARS_OK);
    assert_false(got.disabled);
    make_user(&u, "bob", "developer");
    assert_int_equal(tars_store_user_add(st, &u, &err), TARS_OK);
    assert_int_equal(tars_store_users_each(st, collect_user, &names, &err), TARS_OK);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "alice");
    assert_string_equal(names.v[1], "bob");
    assert_string_equal(names.v[2], "carol");
    names.n = 0;
    names.stop_after = 2; /* a callback returning non-zero stops the walk */
    assert_int_equal(tars_store_users_each(st, collect_user, &names, &err), TARS_OK);
    assert_int_equal(names.n, 2);
}

void test_user_bounds(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_user u, got;
    char long_name[TARS_NAME_MAX + 10];
    int64_t n;

    make_user(&u, "x", "viewer");
    memset(u.username, 'a', sizeof(u.username)); /* no terminator: too long */
    assert_int_equal(tars_store_user_add(st, &u, &err), TARS_EINVAL);
    assert_non_null(strstr(err.msg, "too long"));
    make_user(&u, "", "viewer");
    assert_int_equal(tars_store_user_add(st, &u, &err), TARS_EINVAL);
    memset(long_name, 'b', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(tars_store_user_by_name(st, long_name, &got, &err), TARS_EINVAL);
    assert_int_equal(tars_store_user_by_name(st, NULL, &got, &err), TARS_EINVAL);
    /* the longest allowed name round-trips whole */
    make_user(&u, "x", "viewer");
    memset(u.username, 'c', sizeof(u.username) - 1);
    u.username[sizeof(u.username) - 1] = '\0';
    assert_int_equal(tars_store_user_add(st, &u, &err), TARS_OK);
    assert_int_equal(tars_store_user_by_name(st, u.username, &got, &err), TARS_OK);
    assert_int_equal(strlen(got.username), TARS_NAME_MAX - 1);
    assert_int_equal(tars_store_count(st, "users", &n, &err), TARS_OK);
    assert_int_equal(n, 1);
}

/* ---- API keys ---- */

static void make_key(struct tars_api_key *k, const char *id, const char *hash)
{
    memset(k, 0, sizeof(*k));
    tars_strlcpy(k->id, id, sizeof(k->id));
    tars_strlcpy(k->user_id, "svc-user", sizeof(k->user_id));
    snprintf(k->service_name, sizeof(k->service_name), "%s service", id);
    tars_strlcpy(k->role, "developer", sizeof(k->role));
    tars_strlcpy(k->key_hash, hash, sizeof(k->key_hash));
}

static int collect_key(void *ctx, const struct tars_api_key *k)
{
    struct names *names = ctx;
    tars_strlcpy(names->v[names->n++], k->id, TARS_NAME_MAX);
    return 0;
}

void test_api_keys(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_api_key k, got;
    struct names names = {.n = 0};
    int64_t now = tars_wall_ms();

    make_key(&k, "automl", "sha256:aaa");
    k.expires_at = now + 3600000;
    k.last_used_at = now - 5;
    assert_int_equal(tars_store_api_key_add(st, &k, &err), TARS_OK);
    assert_true(k.created_at >= now);
    assert_int_equal(tars_store_api_key_get(st, "automl", &got, &err), TARS_OK);
    assert_string_equal(got.id, "automl");
    assert_string_equal(got.user_id, "svc-user");
    assert_string_equal(got.service_name, "automl service");
    assert_string_equal(got.role, "developer");
    assert_string_equal(got.key_hash, "sha256:aaa");
    assert_int_equal(got.created_at, k.created_at);
    assert_int_equal(got.expires_at, now + 3600000);
    assert_int_equal(got.last_used_at, now - 5);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:aaa", now, &got, &err), TARS_OK);
    assert_string_equal(got.id, "automl");
    /* expired at now_ms: not found */
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:aaa", now + 3600000, &got, &err),
                     TARS_ENOTFOUND);

    make_key(&k, "hypersync", "sha256:bbb"); /* never expires */
    assert_int_equal(tars_store_api_key_add(st, &k, &err), TARS_OK);
    assert_int_equal(tars_store_api_key_get(st, "hypersync", &got, &err), TARS_OK);
    assert_int_equal(got.expires_at, 0);
    assert_int_equal(got.last_used_at, 0);
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:bbb", INT64_MAX / 2, &got, &err),
                     TARS_OK);
    make_key(&k, "other", "sha256:bbb"); /* same active hash */
    assert_int_equal(tars_store_api_key_add(st, &k, &err), TARS_ECONFLICT);
    make_key(&k, "hypersync", "sha256:ccc"); /* same id */
    assert_int_equal(tars_store_api_key_add(st, &k, &err), TARS_ECONFLICT);

    /* rotation */
    assert_int_equal(tars_store_api_key_set_hash(st, "hypersync", "sha256:ddd", &err), TARS_OK);
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:bbb", now, &got, &err), TARS_ENOTFOUND);
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:ddd", now, &got, &err), TARS_OK);
    assert_string_equal(got.id, "hypersync");
    assert_int_equal(tars_store_api_key_set_hash(st, "hypersync", "sha256:aaa", &err),
                     TARS_ECONFLICT);
    assert_int_equal(tars_store_api_key_set_hash(st, "missing", "sha256:eee", &err),
                     TARS_ENOTFOUND);

    /* revocation hides the key; revoking again keeps the first time */
    assert_int_equal(tars_store_api_key_revoke(st, "hypersync", now + 7, &err), TARS_OK);
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:ddd", now, &got, &err), TARS_ENOTFOUND);
    assert_int_equal(tars_store_api_key_revoke(st, "hypersync", now + 99, &err), TARS_OK);
    assert_int_equal(tars_store_api_key_get(st, "hypersync", &got, &err), TARS_OK);
    assert_int_equal(got.revoked_at, now + 7);
    assert_int_equal(tars_store_api_key_revoke(st, "missing", now, &err), TARS_ENOTFOUND);
    /* a revoked key's hash may be used again */
    make_key(&k, "orchestration", "sha256:ddd");
    assert_int_equal(tars_store_api_key_add(st, &k, &err), TARS_OK);
    assert_int_equal(tars_store_api_key_by_hash(st, "sha256:ddd", now, &got, &err), TARS_OK);
    assert_string_equal(got.id, "orchestration");

    assert_int_equal(tars_store_api_keys_each(st, collect_key, &names, &err), TARS_OK);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "automl");
    assert_string_equal(names.v[1], "hypersync");
    assert_string_equal(names.v[2], "orchestration");
    assert_int_equal(tars_store_api_key_get(st, "missing", &got, &err), TARS_ENOTFOUND);
}

/* ---- agents ---- */

static void make_agent(struct tars_agent *a, const char *id, const char *type, char *params)
{
    memset(a, 0, sizeof(*a));
    tars_strlcpy(a->id, id, sizeof(a->id));
    tars_strlcpy(a->type, type, sizeof(a->type));
    snprintf(a->name, sizeof(a->name), "%s agent", id);
    tars_strlcpy(a->status, "active", sizeof(a->status));
    tars_strlcpy(a->region, "us-east-1", sizeof(a->region));
    a->state_dim = 32;
    a->action_dim = 4;
    a->current_episode = 1200;
    a->total_steps = 9876543210LL;
    a->recent_reward_mean = 0.625;
    a->params_json = params;
    a->updated_at = 1700000000123LL;
}

static int collect_agent(void *ctx, const struct tars_agent *a)
{
    struct names *names = ctx;
    char *out = names->v[names->n++];
    size_t n = tars_strlcpy(out, a->id, TARS_NAME_MAX);

    n += tars_strlcpy(out + n, ":", TARS_NAME_MAX - n);
    n += tars_strlcpy(out + n, a->type, TARS_NAME_MAX - n);
    n += tars_strlcpy(out + n, ":", TARS_NAME_MAX - n);
    tars_strlcpy(out + n, a->params_json ? a->params_json : "null", TARS_NAME_MAX - n);
    return 0;
}

void test_agents(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_agent a, got;
    struct names names = {.n = 0};
    char params[] = "{\"gamma\":0.99,\"epsilon\":0.1}";

    make_agent(&a, "policy", "DQN", params);
    assert_int_equal(tars_store_agent_put(st, &a, &err), TARS_OK);
    assert_int_equal(tars_store_agent_get(st, "policy", &got, &err), TARS_OK);
    assert_string_equal(got.id, "policy");
    assert_string_equal(got.type, "DQN");
    assert_string_equal(got.name, "policy agent");
    assert_string_equal(got.status, "active");
    assert_string_equal(got.region, "us-east-1");
    assert_int_equal(got.state_dim, 32);
    assert_int_equal(got.action_dim, 4);
    assert_int_equal(got.current_episode, 1200);
    assert_int_equal(got.total_steps, 9876543210LL);
    ASSERT_NEAR(got.recent_reward_mean, 0.625);
    assert_string_equal(got.params_json, params);
    assert_int_equal(got.updated_at, 1700000000123LL);
    tars_agent_release(&got);
    assert_null(got.params_json);

    /* put again replaces */
    make_agent(&a, "policy", "DQN", NULL);
    tars_strlcpy(a.status, "paused", sizeof(a.status));
    a.current_episode = 1300;
    assert_int_equal(tars_store_agent_put(st, &a, &err), TARS_OK);
    assert_int_equal(tars_store_agent_get(st, "policy", &got, &err), TARS_OK);
    assert_string_equal(got.status, "paused");
    assert_int_equal(got.current_episode, 1300);
    assert_null(got.params_json);
    tars_agent_release(&got);

    make_agent(&a, "resource", "DDPG", params);
    assert_int_equal(tars_store_agent_put(st, &a, &err), TARS_OK);
    make_agent(&a, "consensus", "A2C", NULL);
    assert_int_equal(tars_store_agent_put(st, &a, &err), TARS_OK);
    make_agent(&a, "ethical", "PPO", NULL);
    assert_int_equal(tars_store_agent_put(st, &a, &err), TARS_OK);
    assert_int_equal(tars_store_agents_each(st, collect_agent, &names, &err), TARS_OK);
    assert_int_equal(names.n, 4);
    assert_string_equal(names.v[0], "consensus:A2C:null");
    assert_string_equal(names.v[1], "ethical:PPO:null");
    assert_string_equal(names.v[2], "policy:DQN:null");
    assert_string_equal(names.v[3], "resource:DDPG:{\"gamma\":0.99,\"epsilon\":0.1}");
    assert_int_equal(tars_store_agent_get(st, "missing", &got, &err), TARS_ENOTFOUND);
    assert_null(got.params_json);
}

static void add_state(tars_store *st, const char *agent, double reward, int64_t at)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_agent_state s;

    memset(&s, 0, sizeof(s));
    tars_strlcpy(s.agent_id, agent, sizeof(s.agent_id));
    tars_strlcpy(s.agent_type, "PPO", sizeof(s.agent_type));
    tars_strlcpy(s.region, "eu-west-1", sizeof(s.region));
    s.episode = at / 10;
    s.step = at;
    s.reward = reward;
    s.epsilon = 0.05;
    s.updated_at = at;
    if (tars_store_agent_state_add(st, &s, &err))
        fail_msg("agent_state_add: %s", err.msg);
}

struct states {
    struct tars_agent_state v[64];
    int n;
};

static int collect_state(void *ctx, const struct tars_agent_state *s)
{
    struct states *states = ctx;
    states->v[states->n++] = *s;
    return 0;
}

void test_agent_history(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct states got = {.n = 0};
    int64_t total = -1;

    for (int i = 1; i <= 25; i++)
        add_state(st, "ethical", i, 1000 + i);
    add_state(st, "policy", 100, 5000);
    assert_int_equal(
        tars_store_agent_history(st, "ethical", 10, 0, &total, collect_state, &got, &err), TARS_OK);
    assert_int_equal(total, 25);
    assert_int_equal(got.n, 10);
    ASSERT_NEAR(got.v[0].reward, 25); /* newest first */
    ASSERT_NEAR(got.v[9].reward, 16);
    assert_true(got.v[0].id > 0);
    assert_string_equal(got.v[0].agent_id, "ethical");
    assert_string_equal(got.v[0].agent_type, "PPO");
    assert_string_equal(got.v[0].region, "eu-west-1");
    assert_int_equal(got.v[0].episode, 102);
    assert_int_equal(got.v[0].step, 1025);
    ASSERT_NEAR(got.v[0].epsilon, 0.05);
    assert_int_equal(got.v[0].updated_at, 1025);
    got.n = 0;
    assert_int_equal(
        tars_store_agent_history(st, "ethical", 10, 20, &total, collect_state, &got, &err),
        TARS_OK);
    assert_int_equal(total, 25);
    assert_int_equal(got.n, 5);
    ASSERT_NEAR(got.v[4].reward, 1);
    got.n = 0;
    assert_int_equal(
        tars_store_agent_history(st, "nobody", 10, 0, &total, collect_state, &got, &err), TARS_OK);
    assert_int_equal(total, 0);
    assert_int_equal(got.n, 0);
    assert_int_equal(
        tars_store_agent_history(st, "ethical", 0, 0, &total, collect_state, &got, &err),
        TARS_EINVAL);
    assert_int_equal(
        tars_store_agent_history(st, "ethical", 1001, 0, &total, collect_state, &got, &err),
        TARS_EINVAL);
    assert_int_equal(
        tars_store_agent_history(st, "ethical", 10, -1, &total, collect_state, &got, &err),
        TARS_EINVAL);
}

void test_reward_stats(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_reward_stats s;

    for (int i = 1; i <= 25; i++)
        add_state(st, "ethical", i, 1000 + i);
    add_state(st, "policy", 100, 900); /* oldest overall */
    assert_int_equal(tars_store_reward_stats(st, "ethical", &s, &err), TARS_OK);
    assert_int_equal(s.count, 25);
    ASSERT_NEAR(s.last, 25);
    ASSERT_NEAR(s.mean, 13);
    ASSERT_NEAR(s.min, 1);
    ASSERT_NEAR(s.max, 25);
    ASSERT_NEAR(s.stddev, sqrt(52.0));  /* population: (25^2 - 1) / 12 */
    ASSERT_NEAR(s.mean_recent, 20.5);   /* 16..25 */
    ASSERT_NEAR(s.mean_previous, 10.5); /* 6..15 */

    assert_int_equal(tars_store_reward_stats(st, NULL, &s, &err), TARS_OK);
    assert_int_equal(s.count, 26);
    ASSERT_NEAR(s.max, 100);
    ASSERT_NEAR(s.mean, (325.0 + 100.0) / 26.0);
    ASSERT_NEAR(s.mean_recent, 20.5);
    ASSERT_NEAR(s.mean_previous, 10.5);

    add_state(st, "solo", 4, 1);
    add_state(st, "solo", 8, 2);
    assert_int_equal(tars_store_reward_stats(st, "solo", &s, &err), TARS_OK);
    assert_int_equal(s.count, 2);
    ASSERT_NEAR(s.last, 8);
    ASSERT_NEAR(s.stddev, 2);
    ASSERT_NEAR(s.mean_recent, 6);
    ASSERT_NEAR(s.mean_previous, 0);

    assert_int_equal(tars_store_reward_stats(st, "nobody", &s, &err), TARS_OK);
    assert_int_equal(s.count, 0);
    ASSERT_NEAR(s.mean, 0);
    ASSERT_NEAR(s.stddev, 0);
}

/* ---- evaluations ---- */

static void make_eval(struct tars_evaluation *e, const char *id, const char *agent,
                      const char *region, const char *status, int64_t at)
{
    memset(e, 0, sizeof(*e));
    tars_strlcpy(e->id, id, sizeof(e->id));
    tars_strlcpy(e->agent_id, agent, sizeof(e->agent_id));
    tars_strlcpy(e->region, region, sizeof(e->region));
    tars_strlcpy(e->status, status, sizeof(e->status));
    e->duration_ms = -1;
    e->created_at = at;
    e->updated_at = at;
}

static void add_eval(tars_store *st, const char *id, const char *agent, const char *region,
                     const char *status, int64_t at)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation e;

    make_eval(&e, id, agent, region, status, at);
    if (tars_store_evaluation_add(st, &e, &err))
        fail_msg("evaluation_add: %s", err.msg);
}

void test_evaluation_round_trip(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation e, got;
    char details[] = "{\"episodes\":10,\"note\":\"caf\xc3\xa9 'quoted'\"}";

    make_eval(&e, "ev-1", "policy", "us-east-1", "completed", 1700000000000LL);
    e.reward = -12.75;
    e.has_reward = true;
    e.duration_ms = 0;
    e.details_json = details;
    e.updated_at = 1700000000500LL;
    assert_int_equal(tars_store_evaluation_add(st, &e, &err), TARS_OK);
    assert_int_equal(tars_store_evaluation_get(st, "ev-1", &got, &err), TARS_OK);
    assert_string_equal(got.id, "ev-1");
    assert_string_equal(got.agent_id, "policy");
    assert_string_equal(got.region, "us-east-1");
    assert_string_equal(got.status, "completed");
    assert_true(got.has_reward);
    ASSERT_NEAR(got.reward, -12.75);
    assert_int_equal(got.duration_ms, 0);
    assert_string_equal(got.details_json, details);
    assert_int_equal(got.created_at, 1700000000000LL);
    assert_int_equal(got.updated_at, 1700000000500LL);
    tars_evaluation_release(&got);
    /* the timestamp column mirrors created_at */
    assert_int_equal(query_int(st, "SELECT timestamp FROM evaluations WHERE id = $1", "ev-1"),
                     1700000000000LL);

    make_eval(&e, "ev-2", "policy", "us-east-1", "pending", 5);
    assert_int_equal(tars_store_evaluation_add(st, &e, &err), TARS_OK);
    assert_int_equal(tars_store_evaluation_get(st, "ev-2", &got, &err), TARS_OK);
    assert_false(got.has_reward);
    assert_int_equal(got.duration_ms, -1);
    assert_null(got.details_json);
    tars_evaluation_release(&got);
    assert_int_equal(tars_store_evaluation_add(st, &e, &err), TARS_ECONFLICT);
    assert_int_equal(tars_store_evaluation_get(st, "ev-404", &got, &err), TARS_ENOTFOUND);
}

void test_evaluation_update_delete(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation e, got;
    char details[] = "{\"k\":1}";

    add_eval(st, "ev-1", "policy", "us-east-1", "pending", 100);
    make_eval(&e, "ev-1", "consensus", "eu-west-1", "completed", 999);
    e.reward = 3.5;
    e.has_reward = true;
    e.duration_ms = 1234;
    e.details_json = details;
    e.updated_at = 200;
    assert_int_equal(tars_store_evaluation_update(st, &e, &err), TARS_OK);
    assert_int_equal(tars_store_evaluation_get(st, "ev-1", &got, &err), TARS_OK);
    assert_string_equal(got.agent_id, "consensus");
    assert_string_equal(got.region, "eu-west-1");
    assert_string_equal(got.status, "completed");
    ASSERT_NEAR(got.reward, 3.5);
    assert_int_equal(got.duration_ms, 1234);
    assert_string_equal(got.details_json, "{\"k\":1}");
    assert_int_equal(got.created_at, 100); /* unchanged */
    assert_int_equal(got.updated_at, 200);
    tars_evaluation_release(&got);
    make_eval(&e, "ev-404", "a", "r", "pending", 1);
    assert_int_equal(tars_store_evaluation_update(st, &e, &err), TARS_ENOTFOUND);

    assert_int_equal(tars_store_evaluation_delete(st, "ev-1", 300, &err), TARS_OK);
    assert_int_equal(tars_store_evaluation_get(st, "ev-1", &got, &err), TARS_OK);
    assert_string_equal(got.status, "deleted");
    assert_int_equal(got.updated_at, 300);
    tars_evaluation_release(&got);
    assert_int_equal(tars_store_evaluation_delete(st, "ev-1", 400, &err), TARS_ENOTFOUND);
    make_eval(&e, "ev-1", "policy", "us-east-1", "running", 1);
    assert_int_equal(tars_store_evaluation_update(st, &e, &err), TARS_ENOTFOUND);
    assert_int_equal(tars_store_evaluation_delete(st, "ev-404", 400, &err), TARS_ENOTFOUND);
}

struct evals {
    char ids[64][TARS_ID_MAX];
    int n;
};

static int collect_eval(void *ctx, const struct tars_evaluation *e)
{
    struct evals *evals = ctx;
    tars_strlcpy(evals->ids[evals->n++], e->id, TARS_ID_MAX);
    return 0;
}

static int64_t list_evals(tars_store *st, const struct tars_evaluation_filter *f, struct evals *out)
{
    struct tars_err err = TARS_ERR_INIT;
    int64_t total = -1;

    out->n = 0;
    if (tars_store_evaluations_list(st, f, &total, collect_eval, out, &err))
        fail_msg("evaluations_list: %s", err.msg);
    return total;
}

void test_evaluations_list(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation_filter f = {NULL, NULL, NULL, 0, 100, 0};
    struct evals got;
    int64_t total;

    add_eval(st, "e1", "policy", "us", "completed", 10);
    add_eval(st, "e2", "policy", "eu", "error", 20);
    add_eval(st, "e3", "consensus", "us", "pending", 30);
    add_eval(st, "e4", "policy", "us", "completed", 40);
    add_eval(st, "e5", "policy", "us", "running", 50);
    assert_int_equal(tars_store_evaluation_delete(st, "e5", 60, &err), TARS_OK);

    assert_int_equal(list_evals(st, &f, &got), 4); /* deleted left out */
    assert_int_equal(got.n, 4);
    assert_string_equal(got.ids[0], "e4");
    assert_string_equal(got.ids[3], "e1");
    f.agent_id = "policy";
    assert_int_equal(list_evals(st, &f, &got), 3);
    f.region = "us";
    assert_int_equal(list_evals(st, &f, &got), 2);
    assert_string_equal(got.ids[0], "e4");
    assert_string_equal(got.ids[1], "e1");
    f.status = "completed";
    f.since = 15;
    assert_int_equal(list_evals(st, &f, &got), 1);
    assert_string_equal(got.ids[0], "e4");
    f = (struct tars_evaluation_filter){NULL, NULL, "deleted", 0, 100, 0};
    assert_int_equal(list_evals(st, &f, &got), 1);
    assert_string_equal(got.ids[0], "e5");
    f = (struct tars_evaluation_filter){NULL, NULL, NULL, 0, 2, 1};
    total = list_evals(st, &f, &got);
    assert_int_equal(total, 4); /* total ignores limit and offset */
    assert_int_equal(got.n, 2);
    assert_string_equal(got.ids[0], "e3");
    assert_string_equal(got.ids[1], "e2");
    f.offset = 10;
    assert_int_equal(list_evals(st, &f, &got), 4);
    assert_int_equal(got.n, 0);
    f.limit = 0;
    assert_int_equal(tars_store_evaluations_list(st, &f, &total, collect_eval, &got, &err),
                     TARS_EINVAL);
    f.limit = 1001;
    assert_int_equal(tars_store_evaluations_list(st, &f, &total, collect_eval, &got, &err),
                     TARS_EINVAL);
}

/* ---- missions ---- */

static void add_mission(tars_store *st, const char *id, const char *status, int64_t at,
                        char *details)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_mission m;

    memset(&m, 0, sizeof(m));
    tars_strlcpy(m.id, id, sizeof(m.id));
    snprintf(m.name, sizeof(m.name), "mission %s", id);
    tars_strlcpy(m.status, status, sizeof(m.status));
    if (details)
        tars_strlcpy(m.agent_id, "policy", sizeof(m.agent_id));
    m.details_json = details;
    m.created_at = at;
    m.updated_at = at + 1;
    if (tars_store_mission_add(st, &m, &err))
        fail_msg("mission_add: %s", err.msg);
}

struct missions {
    struct tars_mission v[16];
    char details[16][64];
    int n;
};

static int collect_mission(void *ctx, const struct tars_mission *m)
{
    struct missions *ms = ctx;
    ms->v[ms->n] = *m;
    ms->v[ms->n].details_json = NULL;
    tars_strlcpy(ms->details[ms->n], m->details_json ? m->details_json : "null", 64);
    ms->n++;
    return 0;
}

void test_missions(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct missions got = {.n = 0};
    struct tars_mission dup;
    char details[] = "{\"target\":\"mars\"}";
    int64_t total = -1;

    add_mission(st, "m1", "active", 10, details);
    add_mission(st, "m2", "pending", 20, NULL);
    add_mission(st, "m3", "active", 30, NULL);
    assert_int_equal(tars_store_missions_list(st, NULL, 100, &total, collect_mission, &got, &err),
                     TARS_OK);
    assert_int_equal(total, 3);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.v[0].id, "m3");
    assert_string_equal(got.v[2].id, "m1");
    assert_string_equal(got.v[2].name, "mission m1");
    assert_string_equal(got.v[2].status, "active");
    assert_string_equal(got.v[2].agent_id, "policy");
    assert_string_equal(got.details[2], "{\"target\":\"mars\"}");
    assert_int_equal(got.v[2].created_at, 10);
    assert_int_equal(got.v[2].updated_at, 11);
    assert_string_equal(got.v[0].agent_id, "");
    assert_string_equal(got.details[0], "null");
    got.n = 0;
    assert_int_equal(tars_store_missions_list(st, "active", 1, &total, collect_mission, &got, &err),
                     TARS_OK);
    assert_int_equal(total, 2);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].id, "m3");
    assert_int_equal(
        tars_store_missions_list(st, "failed", 10, &total, collect_mission, &got, &err), TARS_OK);
    assert_int_equal(total, 0);
    memset(&dup, 0, sizeof(dup));
    tars_strlcpy(dup.id, "m1", sizeof(dup.id));
    tars_strlcpy(dup.name, "again", sizeof(dup.name));
    tars_strlcpy(dup.status, "active", sizeof(dup.status));
    assert_int_equal(tars_store_mission_add(st, &dup, &err), TARS_ECONFLICT);
    assert_int_equal(tars_store_missions_list(st, NULL, 0, &total, collect_mission, &got, &err),
                     TARS_EINVAL);
}

/* ---- metrics ---- */

static int add_point(tars_store *st, const char *name, const char *region, int64_t at, double value,
                     const char *labels, struct tars_err *err)
{
    struct tars_metric_point p;

    memset(&p, 0, sizeof(p));
    tars_strlcpy(p.metric_name, name, sizeof(p.metric_name));
    tars_strlcpy(p.region, region, sizeof(p.region));
    p.timestamp = at;
    p.value = value;
    p.labels_json = (char *)(uintptr_t)labels;
    return tars_store_metric_add(st, &p, err);
}

struct points {
    struct tars_metric_point v[16];
    char labels[16][128];
    int n;
};

static int collect_point(void *ctx, const struct tars_metric_point *p)
{
    struct points *ps = ctx;
    ps->v[ps->n] = *p;
    ps->v[ps->n].labels_json = NULL;
    tars_strlcpy(ps->labels[ps->n], p->labels_json ? p->labels_json : "null", 128);
    ps->n++;
    return 0;
}

void test_metrics(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct points got = {.n = 0};
    char big[STORE_LABELS_MAX + 10];

    /* labels in jsonb's canonical form, so both dialects return them verbatim */
    assert_int_equal(add_point(st, "agent_reward", "us", 10, 1.5,
                               "{\"agent_id\": \"policy\", \"agent_type\": \"DQN\"}", &err),
                     0);
    assert_int_equal(add_point(st, "agent_reward", "eu", 20, 2.5,
                               "{\"agent_id\": \"ethical\", \"agent_type\": \"PPO\"}", &err),
                     0);
    assert_int_equal(add_point(st, "agent_reward", "us", 30, 3.5,
                               "{\"agent_id\": \"policy\", \"agent_type\": \"DQN\"}", &err),
                     0);
    assert_int_equal(add_point(st, "agent_reward", "us", 40, 4.5, NULL, &err), 0);
    assert_int_equal(add_point(st, "loss", "us", 50, 0.1, "{\"agent_type\": \"DQN\"}", &err), 0);

    assert_int_equal(
        tars_store_metric_values(st, "agent_reward", NULL, 10, collect_point, &got, &err), TARS_OK);
    assert_int_equal(got.n, 4);
    assert_int_equal(got.v[0].timestamp, 40);
    assert_string_equal(got.labels[0], "null");
    assert_string_equal(got.v[1].metric_name, "agent_reward");
    assert_string_equal(got.v[1].region, "us");
    ASSERT_NEAR(got.v[1].value, 3.5);
    assert_string_equal(got.labels[1], "{\"agent_id\": \"policy\", \"agent_type\": \"DQN\"}");
    got.n = 0;
    assert_int_equal(
        tars_store_metric_values(st, "agent_reward", "DQN", 10, collect_point, &got, &err),
        TARS_OK);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.v[0].timestamp, 30);
    assert_int_equal(got.v[1].timestamp, 10);
    got.n = 0;
    assert_int_equal(
        tars_store_metric_values(st, "agent_reward", NULL, 2, collect_point, &got, &err), TARS_OK);
    assert_int_equal(got.n, 2);
    got.n = 0;
    assert_int_equal(
        tars_store_metric_values(st, "agent_reward", "A2C", 10, collect_point, &got, &err),
        TARS_OK);
    assert_int_equal(got.n, 0);

    assert_int_equal(add_point(st, "bad", "us", 1, 1, "{not json", &err), TARS_EINVAL);
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(add_point(st, "big", "us", 1, 1, big, &err), TARS_EINVAL);
    assert_int_equal(
        tars_store_metric_values(st, "agent_reward", NULL, 0, collect_point, &got, &err),
        TARS_EINVAL);
}

/* ---- audit ---- */

static void add_event(tars_store *st, const char *type, int64_t at, bool success, char *details)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_audit_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.timestamp = at;
    tars_strlcpy(ev.event_type, type, sizeof(ev.event_type));
    tars_strlcpy(ev.user_id, "u-1", sizeof(ev.user_id));
    tars_strlcpy(ev.username, "admin", sizeof(ev.username));
    tars_strlcpy(ev.action, "POST /api/v1/admin/agents", sizeof(ev.action));
    tars_strlcpy(ev.resource_type, "agent", sizeof(ev.resource_type));
    tars_strlcpy(ev.resource_id, "policy", sizeof(ev.resource_id));
    tars_strlcpy(ev.client_ip, "2001:db8::1", sizeof(ev.client_ip));
    ev.success = success;
    ev.details_json = details;
    if (tars_store_audit_add(st, &ev, &err))
        fail_msg("audit_add: %s", err.msg);
}

struct events {
    struct tars_audit_event v[16];
    char details[16][64];
    int n;
};

static int collect_event(void *ctx, const struct tars_audit_event *ev)
{
    struct events *evs = ctx;
    evs->v[evs->n] = *ev;
    evs->v[evs->n].details_json = NULL;
    tars_strlcpy(evs->details[evs->n], ev->details_json ? ev->details_json : "null", 64);
    evs->n++;
    return 0;
}

void test_audit(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct events got = {.n = 0};
    char details[] = "{\"reason\":\"bad password\"}";
    int64_t total = -1;

    add_event(st, "auth_failure", 10, false, details);
    add_event(st, "admin_action", 20, true, NULL);
    add_event(st, "auth_failure", 30, false, NULL);
    add_event(st, "auth_success", 40, true, NULL);
    assert_int_equal(tars_store_audit_list(st, NULL, 100, 0, &total, collect_event, &got, &err),
                     TARS_OK);
    assert_int_equal(total, 4);
    assert_int_equal(got.n, 4);
    assert_int_equal(got.v[0].timestamp, 40);
    assert_int_equal(got.v[3].timestamp, 10);
    assert_true(got.v[3].id > 0);
    assert_true(got.v[0].id != got.v[3].id);
    assert_string_equal(got.v[3].event_type, "auth_failure");
    assert_string_equal(got.v[3].user_id, "u-1");
    assert_string_equal(got.v[3].username, "admin");
    assert_string_equal(got.v[3].action, "POST /api/v1/admin/agents");
    assert_string_equal(got.v[3].resource_type, "agent");
    assert_string_equal(got.v[3].resource_id, "policy");
    assert_string_equal(got.v[3].client_ip, "2001:db8::1");
    assert_false(got.v[3].success);
    assert_true(got.v[0].success);
    assert_string_equal(got.details[3], "{\"reason\":\"bad password\"}");
    assert_string_equal(got.details[0], "null");
    got.n = 0;
    assert_int_equal(
        tars_store_audit_list(st, "auth_failure", 1, 1, &total, collect_event, &got, &err),
        TARS_OK);
    assert_int_equal(total, 2);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.v[0].timestamp, 10);
    assert_int_equal(tars_store_audit_list(st, NULL, 5000, 0, &total, collect_event, &got, &err),
                     TARS_EINVAL);
}

void test_count_and_bounds(void **state)
{
    tars_store *st = store_of(state);
    struct tars_err err = TARS_ERR_INIT;
    struct tars_evaluation e;
    struct evals got;
    struct tars_evaluation_filter f = {NULL, NULL, NULL, 0, 10, 0};
    char *huge = malloc(STORE_JSON_MAX + 1);
    char long_id[TARS_ID_MAX + 1];
    int64_t n = -1, total;

    assert_non_null(huge);
    add_eval(st, "e1", "policy", "us", "completed", 10);
    assert_int_equal(tars_store_count(st, "evaluations", &n, &err), TARS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(tars_store_count(st, "agents", &n, &err), TARS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tars_store_count(st, "schema_migrations", &n, &err), TARS_OK);
    assert_int_equal(n, (int64_t)migration_count());
    assert_int_equal(tars_store_count(st, "users; DROP TABLE users", &n, &err), TARS_EINVAL);
    assert_int_equal(tars_store_count(st, NULL, &n, &err), TARS_EINVAL);

    make_eval(&e, "e2", "policy", "us", "completed", 10);
    memset(huge, ' ', STORE_JSON_MAX);
    huge[0] = '{';
    huge[STORE_JSON_MAX - 1] = '}';
    huge[STORE_JSON_MAX] = '\0';
    e.details_json = huge;
    assert_int_equal(tars_store_evaluation_add(st, &e, &err), TARS_EINVAL);
    huge[STORE_JSON_MAX - 2] = '}';
    huge[STORE_JSON_MAX - 1] = '\0'; /* one byte under the bound: accepted */
    assert_int_equal(tars_store_evaluation_add(st, &e, &err), TARS_OK);
    free(huge);
    make_eval(&e, "e3", "policy", "us", "completed", 10);
    memset(e.status, 'x', sizeof(e.status));
    assert_int_equal(tars_store_evaluation_add(st, &e, &err), TARS_EINVAL);
    memset(long_id, 'i', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    f.agent_id = long_id;
    assert_int_equal(tars_store_evaluations_list(st, &f, &total, collect_eval, &got, &err),
                     TARS_EINVAL);
    assert_int_equal(tars_store_evaluation_get(st, long_id, &e, &err), TARS_EINVAL);
    assert_int_equal(tars_store_evaluation_delete(st, long_id, 1, &err), TARS_EINVAL);
    assert_int_equal(tars_store_count(st, "evaluations", &n, &err), TARS_OK);
    assert_int_equal(n, 2);
}
