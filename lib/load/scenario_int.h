/*
 * lib/load internals shared by scenario.c, scenario_read.c and
 * scenario_task.c, and reachable from the unit tests.
 */
#ifndef TARS_LOAD_SCENARIO_INT_H
#define TARS_LOAD_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/load.h"
#include "tars/yaml.h"

/* Limits of a scenario (also in docs/load-format.md). */
#define SCENARIO_MAX_TASKS 256
#define SCENARIO_MAX_HEADERS 32 /* the engine's bound per request */
#define SCENARIO_MAX_STAGES 100
#define SCENARIO_MAX_THRESHOLDS 256
#define SCENARIO_MAX_EXPECT 32
#define SCENARIO_MAX_NAME 127 /* task and scenario names, in bytes */
#define SCENARIO_DURATION_MAX_MS (366LL * 24 * 3600 * 1000)

/* tars_load_scenario_load on text in memory; name stands for the file in
 * messages (and gives the default scenario name). */
int scenario_load_string(const char *name, const char *text, struct tars_load_scenario *out,
                         struct tars_err *err) TARS_MUST_CHECK;

/* ---- scenario_read.c: the reader and small checks ---- */

struct scenario_reader {
    const tars_yaml_doc *doc;
    struct tars_err *err;
    const char *file; /* the scenario's path: data files are relative to its directory */
    /* While a journey step is read: the variables its templates may name
     * (${user}, extracted values), slot = index. NULL elsewhere. */
    const char *const *names;
    size_t name_count;
    /* The getters of tars/json.h over doc (tars_yaml_reader): one wording
     * for every config file, with file:line:col. */
    struct tars_json_reader json;
};

/* TARS_EINVAL with "file:line:col: message" at node. */
int scenario_fail(const struct scenario_reader *rd, const json_t *node, const char *fmt, ...)
    TARS_PRINTF(3, 4);
/* Where to point for a problem with a whole mapping: its first value (a
 * mapping inside a list has no position of its own). */
const json_t *scenario_first_node(json_t *obj);
bool scenario_is_identifier(const char *s);
bool scenario_has_control(const char *s);

/* think: 2s | "between(1s, 3s)" | {min, max}; v is the value (not NULL). */
int scenario_think(const struct scenario_reader *rd, json_t *v, const char *what, int64_t *min_ms,
                   int64_t *max_ms);

/* ---- scenario_task.c ---- */

/* The keys of a request (a task, a step) other than weight: method, path,
 * name, headers, body, expect; templates compiled with rd's names. */
int scenario_read_request(const struct scenario_reader *rd, json_t *obj, struct tars_load_task *t);

int scenario_read_tasks(const struct scenario_reader *rd, json_t *root,
                        struct tars_load_scenario *s);
int scenario_read_thresholds(const struct scenario_reader *rd, json_t *root,
                             struct tars_load_scenario *s);
/* Upper-cases method in place; true when it is one tars sends. */
bool scenario_method_known(char *method);
/* "METHOD path", cut to SCENARIO_MAX_NAME bytes (a new string). */
char *scenario_default_task_name(const struct tars_load_task *t);
/* The task named name among the first count tasks, or NULL. */
/* TARS_EINVAL when th names a task s does not have, err saying so with a
 * did-you-mean when a task's name is near. */
int scenario_threshold_task(const struct tars_load_scenario *s, const struct tars_threshold *th,
                            struct tars_err *err);
const struct tars_load_task *scenario_find_task(const struct tars_load_scenario *s,
                                                const char *name, size_t count);
void scenario_task_release(struct tars_load_task *t);

/* ---- scenario_data.c ---- */

/* `data: {file, mode}`: the CSV read whole into s->data (errors name the
 * file and line). */
int scenario_read_data(const struct scenario_reader *rd, json_t *root,
                       struct tars_load_scenario *s);
void scenario_data_release(struct tars_load_data *d);

/* ---- scenario_journey.c ---- */

/* Rows a task list item becomes: 1, or 1 + its steps for a journey. */
size_t scenario_item_rows(json_t *item);
/* Reads the journey item (a mapping with steps) into s->tasks from index
 * s->task_count on, growing s->task_count as rows are read. */
int scenario_read_journey(const struct scenario_reader *rd, json_t *item,
                          struct tars_load_scenario *s);

#endif
