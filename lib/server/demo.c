/* `tars serve --demo`: sample agents, history, missions, evaluations, metric
 * points, and three users with random passwords kept in a 0600 file. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "tars/auth.h"
#include "tars/clock.h"
#include "tars/crypto.h"
#include "tars/demo.h"
#include "tars/str.h"

#define HISTORY_PER_AGENT 200

struct demo_agent {
    const char *id, *type, *name, *params;
    int state_dim, action_dim;
    double base_reward;
};

static const struct demo_agent demo_agents[] = {
    {"policy", "DQN", "Policy agent", "{\"epsilon\":0.05}", 32, 8, 0.62},
    {"consensus", "A2C", "Consensus agent", "{\"entropy\":0.41,\"value_loss\":0.12}", 32, 4, 0.55},
    {"ethical", "PPO", "Ethical agent", "{\"kl_divergence\":0.011,\"clip_fraction\":0.08}", 32, 6,
     0.71},
    {"resource", "DDPG", "Resource agent", "{\"noise_sigma\":0.1,\"critic_loss\":0.07}", 32, 3,
     0.48},
};
static const char *const regions[] = {"us-east-1", "us-west-2", "eu-central-1"};

/* A deterministic wobble so demo data looks alive but is reproducible. */
static double wobble(int i, double base)
{
    return base + 0.05 * sin(i * 0.37) + 0.0008 * i;
}

static int seed_agent(tars_store *st, const struct demo_agent *d, int64_t now, struct tars_err *err)
{
    struct tars_agent a;
    int rc;

    memset(&a, 0, sizeof(a));
    tars_strlcpy(a.id, d->id, sizeof(a.id));
    tars_strlcpy(a.type, d->type, sizeof(a.type));
    tars_strlcpy(a.name, d->name, sizeof(a.name));
    tars_strlcpy(a.status, "active", sizeof(a.status));
    tars_strlcpy(a.region, regions[0], sizeof(a.region));
    a.state_dim = d->state_dim;
    a.action_dim = d->action_dim;
    a.current_episode = HISTORY_PER_AGENT;
    a.total_steps = HISTORY_PER_AGENT * 50;
    a.recent_reward_mean = wobble(HISTORY_PER_AGENT - 1, d->base_reward);
    a.params_json = (char *)d->params;
    a.updated_at = now;
    rc = tars_store_agent_put(st, &a, err);
    for (int i = 0; rc == 0 && i < HISTORY_PER_AGENT; i++) {
        struct tars_agent_state s;
        memset(&s, 0, sizeof(s));
        tars_strlcpy(s.agent_id, d->id, sizeof(s.agent_id));
        tars_strlcpy(s.agent_type, d->type, sizeof(s.agent_type));
        tars_strlcpy(s.region, regions[i % 3], sizeof(s.region));
        s.episode = i + 1;
        s.step = (i + 1) * 50;
        s.reward = wobble(i, d->base_reward);
        s.epsilon = fmax(0.05, 1.0 - i * 0.005);
        s.updated_at = now - (int64_t)(HISTORY_PER_AGENT - i) * 60000;
        rc = tars_store_agent_state_add(st, &s, err);
    }
    return rc;
}

static int seed_points(tars_store *st, const struct demo_agent *d, int64_t now,
                       struct tars_err *err)
{
    char labels[128];
    int rc = 0;

    snprintf(labels, sizeof(labels), "{\"agent_id\":\"%s\",\"agent_type\":\"%s\"}", d->id, d->type);
    for (int i = 0; rc == 0 && i < 50; i++) {
        struct tars_metric_point p;
        memset(&p, 0, sizeof(p));
        tars_strlcpy(p.metric_name, "agent_reward", sizeof(p.metric_name));
        tars_strlcpy(p.region, regions[i % 3], sizeof(p.region));
        p.timestamp = now - (int64_t)(50 - i) * 60000;
        p.value = wobble(i + 150, d->base_reward);
        p.labels_json = labels;
        rc = tars_store_metric_add(st, &p, err);
    }
    return rc;
}

static int seed_series(tars_store *st, const char *name, int64_t now, struct tars_err *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < 30; i++) {
        struct tars_metric_point p;
        memset(&p, 0, sizeof(p));
        tars_strlcpy(p.metric_name, name, sizeof(p.metric_name));
        tars_strlcpy(p.region, regions[i % 3], sizeof(p.region));
        p.timestamp = now - (int64_t)(30 - i) * 60000;
        p.value = strcmp(name, "conflicts") == 0 ? (double)(i % 4 == 0) : 20 + (i * 7) % 40;
        rc = tars_store_metric_add(st, &p, err);
    }
    return rc;
}

static int seed_missions_and_evaluations(tars_store *st, int64_t now, struct tars_err *err)
{
    static const char *const mission_status[] = {"active", "active", "pending", "completed",
                                                 "failed"};
    static const char *const eval_status[] = {"completed", "completed", "running", "pending",
                                              "error"};
    int rc = 0;

    for (int i = 0; rc == 0 && i < 5; i++) {
        struct tars_mission m;
        memset(&m, 0, sizeof(m));
        tars_uuid4(m.id);
        snprintf(m.name, sizeof(m.name), "demo mission %d", i + 1);
        tars_strlcpy(m.status, mission_status[i], sizeof(m.status));
        tars_strlcpy(m.agent_id, demo_agents[i % 4].id, sizeof(m.agent_id));
        m.created_at = m.updated_at = now - (int64_t)(5 - i) * 3600000;
        rc = tars_store_mission_add(st, &m, err);
    }
    for (int i = 0; rc == 0 && i < 20; i++) {
        struct tars_evaluation e;
        memset(&e, 0, sizeof(e));
        tars_uuid4(e.id);
        tars_strlcpy(e.agent_id, demo_agents[i % 4].id, sizeof(e.agent_id));
        tars_strlcpy(e.region, regions[i % 3], sizeof(e.region));
        tars_strlcpy(e.status, eval_status[i % 5], sizeof(e.status));
        e.has_reward = true;
        e.reward = wobble(i, demo_agents[i % 4].base_reward);
        e.duration_ms = 40 + (i * 13) % 90;
        e.created_at = e.updated_at = now - (int64_t)(20 - i) * 300000;
        rc = tars_store_evaluation_add(st, &e, err);
    }
    return rc;
}

int tars_demo_seed_data(tars_store *st, struct tars_err *err)
{
    int64_t now = tars_wall_ms(), count = 0;
    int rc = tars_store_count(st, "agents", &count, err);

    if (rc || count > 0)
        return rc;
    rc = tars_store_begin(st, err);
    for (size_t i = 0; rc == 0 && i < sizeof(demo_agents) / sizeof(demo_agents[0]); i++) {
        rc = seed_agent(st, &demo_agents[i], now, err);
        if (rc == 0)
            rc = seed_points(st, &demo_agents[i], now, err);
    }
    if (rc == 0)
        rc = seed_series(st, "conflicts", now, err);
    if (rc == 0)
        rc = seed_series(st, "nash_iterations", now, err);
    if (rc == 0)
        rc = seed_missions_and_evaluations(st, now, err);
    if (rc == 0)
        return tars_store_commit(st, err);
    tars_store_rollback(st, NULL);
    return rc;
}

/* ---- users ---- */

static const char *const demo_roles[] = {"viewer", "developer", "admin"};

static void random_password(char out[33])
{
    uint8_t raw[18];
    tars_random_bytes(raw, sizeof(raw));
    tars_base64url_encode(raw, sizeof(raw), out);
}

static int write_credentials(const char *path, char passwords[3][33], struct tars_err *err)
{
    json_t *users = json_array(), *doc;
    char *text;
    int fd, rc = TARS_OK;

    for (int i = 0; i < 3; i++)
        json_array_append_new(users, json_pack("{s:s,s:s,s:s}", "username", demo_roles[i],
                                               "password", passwords[i], "role", demo_roles[i]));
    doc = json_pack("{s:o}", "users", users);
    text = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !text || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) != 0)
        rc = tars_err_set(err, TARS_EIO, "cannot write \"%s\": %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (text)
        explicit_bzero(text, strlen(text));
    free(text);
    return rc;
}

int tars_demo_seed_users(tars_store *st, const char *credentials_path, struct tars_err *err)
{
    char passwords[3][33];
    struct tars_user u;
    int rc = TARS_OK;

    if (access(credentials_path, F_OK) == 0)
        return TARS_OK; /* created on an earlier run */
    for (int i = 0; i < 3 && rc == 0; i++) {
        memset(&u, 0, sizeof(u));
        random_password(passwords[i]);
        tars_strlcpy(u.username, demo_roles[i], sizeof(u.username));
        tars_strlcpy(u.role, demo_roles[i], sizeof(u.role));
        rc = tars_password_hash(passwords[i], u.password_hash, sizeof(u.password_hash), err);
        if (rc == 0)
            rc = tars_store_user_add(st, &u, err);
        if (rc == TARS_ECONFLICT)
            rc = tars_err_set(err, TARS_ECONFLICT,
                              "user \"%s\" exists but \"%s\" is missing; remove the data "
                              "directory or create users with 'tars user add'",
                              demo_roles[i], credentials_path);
    }
    if (rc == 0)
        rc = write_credentials(credentials_path, passwords, err);
    explicit_bzero(passwords, sizeof(passwords));
    return rc;
}
