/*
 * Journeys in the engine: a user's variables, the choice of its next step
 * (probability, loops), the extraction of values from a response, and the
 * journey's own row (one count per iteration, timed from the first send to
 * the last answer, less the think time between steps).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "load_int.h"
#include "result_int.h"
#include "tars/alloc.h"
#include "tars/json.h"

void load_user_init(struct load_user *u, uint64_t index, const struct tars_load_data *data)
{
    memset(u, 0, sizeof(*u));
    u->index = index;
    snprintf(u->index_text, sizeof(u->index_text), "%llu", (unsigned long long)index);
    u->vars[0].data = u->index_text; /* slot 0 is "user" in every journey */
    u->vars[0].len = strlen(u->index_text);
    if (data->row_count) { /* slots 1..: the columns, in every journey */
        u->fixed = data->column_count;
        u->row = (const char *const *)&data->cells[(index % data->row_count) * data->column_count];
        for (size_t i = 0; i < u->fixed; i++) {
            u->vars[1 + i].data = u->row[i];
            u->vars[1 + i].len = strlen(u->row[i]);
        }
    }
    tars_buf_init(&u->values, TARS_LOAD_USER_VALUES);
    u->journey = LOAD_NONE;
}

void load_user_release(struct load_user *u)
{
    tars_buf_release(&u->values);
    if (u->auth_header)
        explicit_bzero(u->auth_header, strlen(u->auth_header));
    free(u->auth_header);
    u->auth_header = NULL;
}

int load_user_login(struct load_user *u, const struct tars_http_response *res, int *status)
{
    json_t *doc = NULL, *token;
    size_t n;

    *status = res->status;
    if (res->status != 200)
        return TARS_LOAD_ERR_STATUS;
    tars_json_parse_bounded(res->body, res->body_len, 0, 0, &doc, NULL);
    token = json_object_get(doc, "access_token");
    if (!json_is_string(token) || json_string_length(token) > TARS_LOAD_MAX_VALUE) {
        json_decref(doc);
        return TARS_LOAD_ERR_EXPECT;
    }
    n = json_string_length(token) + 8;
    u->auth_header = xmalloc(n);
    snprintf(u->auth_header, n, "Bearer %s", json_string_value(token));
    json_decref(doc);
    return -1;
}

/* Points every set value into values again (it may have moved). */
static void user_rebase(struct load_user *u)
{
    for (size_t i = 1 + u->fixed; i < TARS_LOAD_MAX_VARS; i++)
        if (u->vars[i].data)
            u->vars[i].data = u->values.data + u->off[i];
}

static void user_clear(struct load_user *u)
{
    tars_buf_reset(&u->values);
    for (size_t i = 1 + u->fixed; i < TARS_LOAD_MAX_VARS; i++) {
        u->vars[i].data = NULL;
        u->list_set[i] = false;
        u->list_count[i] = 0;
    }
}

/* Appends a value (NUL-ended, so a list's items can be walked); false when
 * it is too long, holds a NUL, or the user's values would pass their bound. */
static bool user_append(struct load_user *u, const char *v, size_t len, size_t *off)
{
    if (len > TARS_LOAD_MAX_VALUE || memchr(v, '\0', len))
        return false;
    *off = u->values.len;
    if (tars_buf_append(&u->values, v, len) || tars_buf_append(&u->values, "", 1))
        return false;
    user_rebase(u);
    return true;
}

static void user_set(struct load_user *u, size_t slot, size_t off)
{
    u->off[slot] = off;
    u->vars[slot].data = u->values.data + off;
    u->vars[slot].len = strlen(u->values.data + off);
}

/* ---- extraction ---- */

/* A JSON value as text: a string as it is, anything else as compact JSON. */
static bool append_json(struct load_user *u, json_t *v, size_t *off)
{
    char *text;
    bool ok;

    if (!v)
        return false;
    if (json_is_string(v))
        return user_append(u, json_string_value(v), json_string_length(v), off);
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    ok = text && user_append(u, text, strlen(text), off);
    free(text);
    return ok;
}

static bool extract_json(const struct tars_load_extract *x, json_t *doc, struct load_user *u)
{
    json_t *v = doc ? tars_json_path(doc, x->expr) : NULL;
    size_t off, n = 0;

    if (!x->list)
        return append_json(u, v, &off) && (user_set(u, x->slot, off), true);
    if (!json_is_array(v))
        return false;
    u->list_off[x->slot] = u->values.len;
    for (size_t i = 0; i < json_array_size(v) && n < TARS_LOAD_MAX_LIST; i++, n++) {
        json_t *item = json_array_get(v, i);
        if (x->list_suffix[0])
            item = tars_json_path(item, x->list_suffix);
        if (!append_json(u, item, &off))
            return false;
        if (n == 0)
            user_set(u, x->slot, off); /* ${name} of a list: its first value */
    }
    u->list_count[x->slot] = n;
    u->list_set[x->slot] = true;
    return true;
}

static bool extract_regex(const struct tars_load_extract *x, const struct tars_http_response *res,
                          struct load_user *u)
{
    regmatch_t m[2];
    size_t off, which;

    if (!res->body || regexec(x->regex, res->body, 2, m, 0) != 0)
        return false;
    which = m[1].rm_so >= 0 ? 1 : 0;
    if (!user_append(u, res->body + m[which].rm_so, (size_t)(m[which].rm_eo - m[which].rm_so),
                     &off))
        return false;
    user_set(u, x->slot, off);
    return true;
}

const char *load_step_header(const struct tars_load_task *step)
{
    for (size_t i = 0; i < step->extract_count; i++)
        if (step->extracts[i].kind == TARS_LOAD_EXTRACT_HEADER)
            return step->extracts[i].expr;
    return NULL;
}

/* A single value by scanning the body without a tree: 1 extracted, 0 absent
 * or not JSON (as the tree would say), -1 ask the tree (a list, an escaped
 * string, a value whose compact text differs from its text as written). */
static int extract_json_scan(const struct tars_load_extract *x, struct load_body *b,
                             struct load_user *u)
{
    struct tars_json_span sp;
    size_t off;

    if (b->invalid)
        return 0;
    if (x->list || b->parsed)
        return -1;
    switch (tars_json_scan_path(b->res->body, b->res->body_len, x->expr, &sp)) {
    case TARS_JSON_SCAN_FOUND: break;
    case TARS_JSON_SCAN_ABSENT: return 0;
    case TARS_JSON_SCAN_INVALID: b->invalid = true; return 0;
    case TARS_JSON_SCAN_UNSUPPORTED: return -1;
    }
    /* strings, true, false, null and integers other than -0 read as jansson
     * writes them; reals, objects and arrays are re-written by the tree */
    if (sp.type == JSON_REAL || sp.type == JSON_OBJECT || sp.type == JSON_ARRAY ||
        (sp.type == JSON_INTEGER && sp.len == 2 && memcmp(sp.at, "-0", 2) == 0))
        return -1;
    if (!user_append(u, sp.at, sp.len, &off))
        return 0;
    user_set(u, x->slot, off);
    return 1;
}

int load_extract(const struct tars_load_task *step, struct load_body *b, struct load_user *u)
{
    const struct tars_http_response *res = b->res;
    bool ok = true;
    int scanned;
    size_t off;

    for (size_t i = 0; i < step->extract_count && ok; i++) {
        const struct tars_load_extract *x = &step->extracts[i];
        switch (x->kind) {
        case TARS_LOAD_EXTRACT_JSON:
            if ((scanned = extract_json_scan(x, b, u)) >= 0)
                ok = scanned == 1;
            else
                ok = extract_json(x, load_body_tree(b), u);
            break;
        case TARS_LOAD_EXTRACT_HEADER:
            ok = res->captured && user_append(u, res->captured, res->captured_len, &off);
            if (ok)
                user_set(u, x->slot, off);
            break;
        case TARS_LOAD_EXTRACT_REGEX: ok = extract_regex(x, res, u); break;
        }
    }
    return ok ? -1 : TARS_LOAD_ERR_EXTRACT;
}

/* ---- steps ---- */

static double rng_unit(struct load_thread *t)
{
    return (double)(load_rng_next(t->rng) >> 11) / 9007199254740992.0; /* [0, 1) */
}

/* A loop step's item i: u->loop_pos moves to it and the `as` slot shows it. */
static void loop_show(struct load_user *u, const struct tars_load_task *step)
{
    u->off[step->loop_as] = u->loop_pos;
    u->vars[step->loop_as].data = u->values.data + u->loop_pos;
    u->vars[step->loop_as].len = strlen(u->values.data + u->loop_pos);
}

/* The first step at index from or later (within the journey) that runs in
 * this iteration, or LOAD_NONE. */
static size_t runnable_from(struct load_thread *t, struct load_user *u, size_t from)
{
    const struct tars_load_scenario *s = t->run->s;
    size_t end = u->journey + 1 + s->tasks[u->journey].step_count;

    for (size_t k = from; k < end; k++) {
        const struct tars_load_task *step = &s->tasks[k];
        if (step->probability < 1 && rng_unit(t) >= step->probability)
            continue;
        u->missing = false;
        if (step->loop) {
            u->loop_i = 0;
            u->loop_n = u->list_count[step->loop_over];
            if (u->loop_n > step->loop_max)
                u->loop_n = step->loop_max;
            if (!u->list_set[step->loop_over]) {
                u->missing = true; /* sent as a failure: the list was never extracted */
                return k;
            }
            if (u->loop_n == 0)
                continue; /* an empty list: nothing to open */
            u->loop_pos = u->list_off[step->loop_over];
            loop_show(u, step);
        }
        return k;
    }
    return LOAD_NONE;
}

size_t load_journey_begin(struct load_thread *t, struct load_user *u, size_t journey, uint64_t now)
{
    size_t step;

    user_clear(u);
    u->journey = journey;
    u->started_ns = now;
    u->paused_ns = 0;
    u->pause_ns = 0;
    u->step = journey;
    step = runnable_from(t, u, journey + 1);
    if (step == LOAD_NONE) {
        load_journey_next(t, u, -1, now); /* records an empty, successful iteration */
        return LOAD_NONE;
    }
    u->step = step;
    return step;
}

static uint64_t step_think_ns(struct load_thread *t, const struct tars_load_task *step)
{
    uint64_t lo = (uint64_t)step->think_min_ms, hi = (uint64_t)step->think_max_ms;

    if (hi <= lo)
        return lo * 1000000u;
    return (lo + load_rng_next(t->rng) % (hi - lo + 1)) * 1000000u;
}

static void journey_record(struct load_thread *t, struct load_user *u, int e, uint64_t now)
{
    struct tars_load_task_result *r = &t->acc[u->journey].r;
    uint64_t took = now - u->started_ns;

    took = took > u->paused_ns ? took - u->paused_ns : 0;
    r->requests++;
    tars_hist_record(r->latency, took);
    tars_hist_record(r->latency_raw, took);
    if (t->task_window)
        tars_hist_record(t->task_window[u->journey], took);
    if (e >= 0) {
        r->failures++;
        r->errors[e]++;
        result_failure_add(r, (enum tars_load_error)e, 0, 1);
    } else {
        tars_hist_record(r->latency_ok, took);
    }
    u->journey = LOAD_NONE;
}

size_t load_journey_next(struct load_thread *t, struct load_user *u, int e, uint64_t now)
{
    const struct tars_load_task *step;
    size_t next;

    if (u->journey == LOAD_NONE)
        return LOAD_NONE;
    if (e >= 0) {
        journey_record(t, u, e, now);
        return LOAD_NONE;
    }
    step = &t->run->s->tasks[u->step];
    if (step->kind == TARS_LOAD_TASK_STEP && step->loop && ++u->loop_i < u->loop_n) {
        u->loop_pos += strlen(u->values.data + u->loop_pos) + 1;
        loop_show(u, step);
        next = u->step;
    } else {
        next = step->kind == TARS_LOAD_TASK_STEP ? runnable_from(t, u, u->step + 1) : LOAD_NONE;
    }
    if (next == LOAD_NONE) {
        journey_record(t, u, -1, now);
        return LOAD_NONE;
    }
    u->pause_ns = step_think_ns(t, step);
    u->paused_ns += u->pause_ns;
    u->step = next;
    return next;
}
