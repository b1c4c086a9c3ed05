/* Request building and response checks for the load engine. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "load_int.h"
#include "scenario_int.h"
#include "tars/alloc.h"
#include "tars/json.h"

#define MAX_REQUEST_HEADERS 32
/* The scenario reader rejects more headers than a request can carry. */
_Static_assert(MAX_REQUEST_HEADERS == SCENARIO_MAX_HEADERS,
               "request and scenario header bounds differ");

/* Renders every template of task (the path: fixed_path instead, when given)
 * and writes the request into out. */
static int render_request(struct tars_load_run *run, const struct tars_load_task *task,
                          uint64_t seq, uint64_t rng[4], const struct load_user *u,
                          const char *fixed_path, struct tars_buf *out, struct tars_buf *scratch)
{
    const struct tars_load_template_value *vars = u ? u->vars : NULL;
    size_t nvars = u ? TARS_LOAD_MAX_VARS : 0;
    struct tars_http_header headers[MAX_REQUEST_HEADERS + 2];
    size_t offsets[MAX_REQUEST_HEADERS + 2], n = 0, body_start;
    struct tars_http_request req;
    bool has_type = false;
    int rc;

    tars_buf_reset(scratch);
    rc = fixed_path ? tars_buf_puts(scratch, fixed_path)
                    : tars_load_template_render_vars(task->path, seq, rng, vars, nvars, scratch);
    if (rc)
        return rc;
    if (tars_buf_append(scratch, "", 1))
        return TARS_ETOOBIG;
    for (size_t i = 0; i < task->header_count && n < MAX_REQUEST_HEADERS; i++, n++) {
        offsets[n] = scratch->len;
        headers[n].name = task->headers[i].name;
        has_type = has_type || strcasecmp(task->headers[i].name, "content-type") == 0;
        if ((rc = tars_load_template_render_vars(task->headers[i].value, seq, rng, vars, nvars,
                                                 scratch)) ||
            (rc = tars_buf_append(scratch, "", 1)))
            return rc;
    }
    if ((u && u->auth_header) || run->auth_header) { /* login_per_user: the user's own */
        offsets[n] = SIZE_MAX;
        headers[n].name = "Authorization";
        headers[n++].value = u && u->auth_header ? u->auth_header : run->auth_header;
    }
    if (task->body && !has_type) {
        offsets[n] = SIZE_MAX;
        headers[n].name = "Content-Type";
        headers[n++].value = "application/json";
    }
    body_start = scratch->len;
    if (task->body &&
        (rc = tars_load_template_render_vars(task->body, seq, rng, vars, nvars, scratch)))
        return rc;
    /* scratch no longer grows: pointers into it are stable from here */
    for (size_t i = 0; i < n; i++)
        if (offsets[i] != SIZE_MAX)
            headers[i].value = scratch->data + offsets[i];
    memset(&req, 0, sizeof(req));
    req.method = task->method;
    req.path = scratch->data;
    req.host = run->authority;
    req.headers = headers;
    req.header_count = n;
    req.body = task->body ? scratch->data + body_start : NULL;
    req.body_len = task->body ? scratch->len - body_start : 0;
    tars_buf_reset(out);
    return tars_http_request_write(out, &req, NULL);
}

/* Whether everything but the path is constant (headers and body). */
static bool task_rest_is_constant(const struct tars_load_task *task)
{
    if (task->body && !tars_load_template_is_constant(task->body))
        return false;
    for (size_t i = 0; i < task->header_count; i++)
        if (!tars_load_template_is_constant(task->headers[i].value))
            return false;
    return true;
}

/* A task whose path alone varies (a journey's ${id} in it, or ${seq}): the
 * rest of its request (headers, body) is written once into tail; each
 * request writes its request line before it. */
static int prepare_tail(struct tars_load_run *run, const struct tars_load_task *task,
                        struct tars_buf *tail, struct tars_buf *scratch)
{
    struct tars_buf whole = TARS_BUF_INIT(LOAD_MAX_REQUEST);
    uint64_t rng[4] = {1, 2, 3, 4};
    const char *end;
    int rc = render_request(run, task, 0, rng, NULL, "/", &whole, scratch);

    if (!rc)
        rc = (end = memchr(whole.data, '\n', whole.len)) != NULL
                 ? tars_buf_append(tail, end + 1, whole.len - (size_t)(end + 1 - whole.data))
                 : TARS_EINVAL;
    tars_buf_release(&whole);
    return rc;
}

/* Whether a task's checks or extractions read the response body (a header
 * extraction does not): only those responses keep it. */
static bool task_reads_body(const struct tars_load_task *task)
{
    if (task->expect_json_count > 0)
        return true;
    for (size_t k = 0; k < task->extract_count; k++)
        if (task->extracts[k].kind != TARS_LOAD_EXTRACT_HEADER)
            return true;
    return false;
}

/* Pre-renders the requests of constant tasks once, for every thread. */
int load_prepare_requests(struct tars_load_run *run, struct tars_err *err)
{
    const struct tars_load_scenario *s = run->s;
    struct tars_buf scratch = TARS_BUF_INIT(LOAD_MAX_REQUEST);
    uint64_t rng[4] = {1, 2, 3, 4};
    int rc;

    /* one more for login_per_user's login row: never constant */
    run->constant_requests = xcalloc(s->task_count + 1, sizeof(*run->constant_requests));
    run->request_tails = xcalloc(s->task_count + 1, sizeof(*run->request_tails));
    run->weights = xcalloc(s->task_count, sizeof(*run->weights));
    run->reads_body = xcalloc(s->task_count, sizeof(*run->reads_body));
    run->keep_bodies = run->login_per_user; /* the token */
    for (size_t i = 0; i < s->task_count; i++) {
        run->weight_total += s->tasks[i].weight;
        run->weights[i] = run->weight_total;
        run->reads_body[i] = task_reads_body(&s->tasks[i]);
        run->keep_bodies = run->keep_bodies || run->reads_body[i];
        run->journeys = run->journeys || s->tasks[i].kind == TARS_LOAD_TASK_JOURNEY;
        tars_buf_init(&run->constant_requests[i], LOAD_MAX_REQUEST);
        tars_buf_init(&run->request_tails[i], LOAD_MAX_REQUEST);
        if (run->login_per_user || s->tasks[i].kind == TARS_LOAD_TASK_JOURNEY ||
            !task_rest_is_constant(&s->tasks[i]))
            continue;
        if (!tars_load_template_is_constant(s->tasks[i].path)) {
            /* a tail that cannot be written: each request is rendered whole, and fails as such */
            if (prepare_tail(run, &s->tasks[i], &run->request_tails[i], &scratch))
                tars_buf_reset(&run->request_tails[i]);
            continue;
        }
        if ((rc = render_request(run, &s->tasks[i], 0, rng, NULL, NULL, &run->constant_requests[i],
                                 &scratch))) {
            tars_buf_release(&scratch);
            return tars_err_set(err, TARS_ETOOBIG, "task \"%s\": the request is over %d bytes",
                                s->tasks[i].name, LOAD_MAX_REQUEST);
        }
    }
    tars_buf_release(&scratch);
    return TARS_OK;
}

size_t load_pick_task(struct load_thread *t)
{
    struct tars_load_run *run = t->run;
    uint64_t x;
    size_t i = 0;

    if (run->s->task_count == 1)
        return 0;
    x = load_rng_next(t->rng) % run->weight_total;
    while (x >= run->weights[i])
        i++;
    return i;
}

/* The request of a task whose path alone varies: its rendered path's
 * request line, then the tail written once. */
static int write_with_tail(struct load_thread *t, struct load_conn *c,
                           const struct tars_load_task *tk, const struct tars_buf *tail)
{
    const struct load_user *u = c->user;
    int rc;

    tars_buf_reset(&t->scratch);
    rc = tars_load_template_render_vars(tk->path, t->seq++, t->rng, u ? u->vars : NULL,
                                        u ? TARS_LOAD_MAX_VARS : 0, &t->scratch);
    if (rc)
        return rc;
    if (tars_buf_append(&t->scratch, "", 1))
        return TARS_ETOOBIG;
    tars_buf_reset(&c->wbuf);
    if ((rc = tars_http_request_line_write(&c->wbuf, tk->method, t->scratch.data, NULL)))
        return rc;
    return tars_buf_append(&c->wbuf, tail->data, tail->len);
}

int load_build_request(struct load_thread *t, struct load_conn *c, size_t task)
{
    struct tars_load_run *run = t->run;
    const struct tars_load_task *tk;

    if (run->login_per_user && task == run->login_task) {
        tars_http_parser_keep_body(c->parser, true); /* the token */
        return load_build_login(t, c);
    }
    if (run->keep_bodies)
        tars_http_parser_keep_body(c->parser, run->reads_body[task]);
    tk = &run->s->tasks[task];
    c->task = task;
    c->wpos = 0;
    if (c->user && tk->kind == TARS_LOAD_TASK_STEP) {
        if (c->user->missing)
            return TARS_ENOTFOUND;
        tars_http_parser_capture(c->parser, load_step_header(tk));
    }
    if (run->constant_requests[task].len)
        return TARS_OK; /* written straight from the shared copy */
    if (run->request_tails[task].len)
        return write_with_tail(t, c, tk, &run->request_tails[task]);
    return render_request(run, tk, t->seq++, t->rng, c->user, NULL, &c->wbuf, &t->scratch);
}

void load_body_init(struct load_body *b, const struct tars_http_response *res)
{
    memset(b, 0, sizeof(*b));
    b->res = res;
}

void load_body_release(struct load_body *b)
{
    json_decref(b->doc);
    b->doc = NULL;
}

json_t *load_body_tree(struct load_body *b)
{
    if (!b->parsed && !b->invalid)
        tars_json_parse_bounded(b->res->body, b->res->body_len, 0, 0, &b->doc, NULL);
    b->parsed = true;
    return b->doc;
}

bool load_body_has(struct load_body *b, const char *path)
{
    struct tars_json_span sp;

    if (b->invalid)
        return false;
    if (b->parsed)
        return tars_json_path(b->doc, path) != NULL;
    switch (tars_json_scan_path(b->res->body, b->res->body_len, path, &sp)) {
    case TARS_JSON_SCAN_FOUND: return true;
    case TARS_JSON_SCAN_ABSENT: return false;
    case TARS_JSON_SCAN_INVALID: b->invalid = true; return false;
    case TARS_JSON_SCAN_UNSUPPORTED: break;
    }
    return tars_json_path(load_body_tree(b), path) != NULL;
}

int load_check_response(const struct tars_load_task *task, struct load_body *b, int *status)
{
    const struct tars_http_response *res = b->res;

    *status = res->status;
    if (task->expect_status_count == 0) {
        if (res->status < 200 || res->status >= 400)
            return TARS_LOAD_ERR_STATUS;
    } else {
        bool found = false;
        for (size_t i = 0; i < task->expect_status_count; i++)
            found = found || task->expect_status[i] == res->status;
        if (!found)
            return TARS_LOAD_ERR_STATUS;
    }
    for (size_t i = 0; i < task->expect_json_count; i++)
        if (!load_body_has(b, task->expect_json_fields[i]))
            return TARS_LOAD_ERR_EXPECT;
    return -1;
}
