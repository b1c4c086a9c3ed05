/*
 * The report binding: run.json -> template variables and the recommendation.
 * This file holds the builder helpers, the verdict and the entry point; the
 * sections live in report_vars_*.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report_vars_int.h"
#include "tars/report_template.h"

#define TEXT_MAX 1024

void put_str(json_t *obj, const char *name, const char *value)
{
    json_object_set_new(obj, name, json_string(value ? value : ""));
}

void put_fmt(json_t *obj, const char *name, const char *fmt, ...)
{
    char text[TEXT_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    put_str(obj, name, text);
}

void put_ms(json_t *obj, const char *name, double ms)
{
    put_fmt(obj, name, "%.1f", ms);
}
void put_pct(json_t *obj, const char *name, double fraction)
{
    put_fmt(obj, name, "%.2f", fraction * 100.0);
}
void put_rate(json_t *obj, const char *name, double part, double whole)
{
    if (whole > 0)
        put_fmt(obj, name, "%.1f", 100.0 * part / whole);
}
void put_int(json_t *obj, const char *name, long long n)
{
    put_fmt(obj, name, "%lld", n);
}

void put_mark(json_t *obj, const char *name, enum judged j)
{
    put_str(obj, name, j == JUDGED_MET ? MARK_OK : j == JUDGED_FAILED ? MARK_FAIL : MARK_UNKNOWN);
}

void put_status(json_t *obj, const char *name, enum judged j)
{
    put_str(obj, name,
            j == JUDGED_MET      ? MARK_OK " PASS"
            : j == JUDGED_FAILED ? MARK_FAIL " FAIL"
                                 : MARK_UNKNOWN " UNKNOWN");
}

void bind_reason(struct bind *b, const char *name, const char *reason)
{
    if (!json_object_get(b->values, name) && !json_object_get(b->reasons, name))
        json_object_set_new(b->reasons, name, json_string(reason));
}

void bind_reasons(struct bind *b, const char *const *names, const char *reason)
{
    for (; *names; names++)
        bind_reason(b, *names, reason);
}

static TARS_PRINTF(2, 0) void append_fmt(json_t *list, const char *fmt, va_list ap)
{
    char text[TEXT_MAX];

    vsnprintf(text, sizeof(text), fmt, ap);
    json_array_append_new(list, json_string(text));
}

void bind_failure(struct bind *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    append_fmt(b->failures, fmt, ap);
    va_end(ap);
}

void bind_missing(struct bind *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    append_fmt(b->missing, fmt, ap);
    va_end(ap);
}

bool num_at(json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return false;
    *out = json_number_value(v);
    return true;
}

json_t *find_stage(json_t *run, const char *name)
{
    json_t *stage;
    size_t i;

    json_array_foreach(json_object_get(run, "stages"), i, stage) {
        const char *n = json_string_value(json_object_get(stage, "name"));
        if (n && strcmp(n, name) == 0)
            return stage;
    }
    return NULL;
}

json_t *vars_list(json_t *array, vars_fill_fn fill, void *ctx)
{
    json_t *list = json_array(), *element;
    size_t i;

    json_array_foreach(array, i, element) {
        json_t *item = json_object();
        fill(item, element, ctx);
        json_array_append_new(list, item);
    }
    return list;
}

static void fill_reason(json_t *item, json_t *reason, void *ctx)
{
    (void)ctx;
    json_object_set(item, "REASON", reason);
}

/* "- label: text\n" to out, text masked and escaped: KNOWN_ISSUES is Markdown tars writes. */
static int known_issue(struct tars_buf *out, const char *label, const char *text)
{
    struct tars_buf masked = TARS_BUF_INIT(1u << 20);
    int rc = tars_report_mask(text ? text : "", &masked);

    if (rc == TARS_OK)
        rc = tars_buf_printf(out, "- %s: ", label);
    if (rc == TARS_OK && masked.len)
        rc = tars_tpl_escape(masked.data, masked.len, out);
    if (rc == TARS_OK)
        rc = tars_buf_append(out, "\n", 1);
    tars_buf_release(&masked);
    return rc;
}

/* Known issues: what failed, what is missing, and the checks that were skipped. */
static void bind_known_issues(struct bind *b)
{
    struct tars_buf text = TARS_BUF_INIT(1u << 20), item = TARS_BUF_INIT(1u << 20);
    json_t *lists[] = {b->failures, b->missing}, *v;
    const char *labels[] = {"failed", "not judged"};
    size_t i;
    int rc = TARS_OK;

    for (size_t l = 0; l < 2; l++) {
        json_array_foreach(lists[l], i, v) {
            if (rc == TARS_OK)
                rc = known_issue(&text, labels[l], json_string_value(v));
        }
    }
    json_array_foreach(json_object_get(b->values, "CHECKS_NOT_PASSED"), i, v) {
        const char *status = json_string_value(json_object_get(v, "STATUS"));
        if (rc != TARS_OK || !status || !strstr(status, "skip"))
            continue;
        tars_buf_reset(&item);
        rc = tars_buf_printf(&item, "check %s: %s", json_string_value(json_object_get(v, "ID")),
                             json_string_value(json_object_get(v, "REASON")));
        rc = rc ? rc : known_issue(&text, "skipped", item.data);
    }
    if (rc == TARS_OK)
        put_str(b->values, "KNOWN_ISSUES",
                text.len ? text.data : "None found in the recorded evidence.");
    json_object_set_new(b->markdown, "KNOWN_ISSUES", json_true());
    tars_buf_release(&text);
    tars_buf_release(&item);
}

/* A release killed mid-run (kill -9, a crash, a lost machine) leaves run.json
 * naming the stage that was running ("stage_running", written by tars release
 * before each stage up to rollback), or a release record with no end time.
 * Nothing after that point was measured, so the run proves nothing either way. */
static void bind_interrupted(struct bind *b)
{
    const char *stage =
        json_string_value(json_object_get(json_object_get(b->run, "stage_running"), "name"));

    if (stage) {
        b->interrupted = true;
        bind_missing(b,
                     "interrupted at %s: the release stopped while this stage ran (killed or "
                     "crashed) and recorded nothing after it",
                     stage);
    } else if (json_object_get(b->run, "release") && !json_object_get(b->run, "ended_at")) {
        b->interrupted = true;
        bind_missing(b, "interrupted between stages: the release stopped before its end "
                        "(killed or crashed) and recorded nothing after its last stage");
    }
}

static void bind_verdict(struct bind *b, struct tars_report_binding *out)
{
    static const char *const words[] = {"APPROVED FOR PRODUCTION PROMOTION", "NOT APPROVED",
                                        "INCONCLUSIVE"};
    static const char *const marks[] = {MARK_OK, MARK_FAIL, MARK_UNKNOWN};
    json_t *v = b->values;

    if (b->interrupted)
        out->verdict = TARS_REPORT_INCONCLUSIVE;
    else if (json_array_size(b->failures))
        out->verdict = TARS_REPORT_NOT_APPROVED;
    else if (json_array_size(b->missing))
        out->verdict = TARS_REPORT_INCONCLUSIVE;
    else
        out->verdict = TARS_REPORT_APPROVED;
    put_str(v, "RECOMMENDATION", words[out->verdict]);
    put_str(v, "RECOMMENDATION_MARK", marks[out->verdict]);
    if (out->verdict == TARS_REPORT_APPROVED)
        put_str(v, "APPROVED", "yes");
    json_object_set_new(v, "FAILURES", vars_list(b->failures, fill_reason, NULL));
    json_object_set_new(v, "MISSING", vars_list(b->missing, fill_reason, NULL));
    put_int(v, "FAILURE_COUNT", (long long)json_array_size(b->failures));
    put_int(v, "MISSING_COUNT", (long long)json_array_size(b->missing));
    out->verdict_reasons = json_array();
    json_array_extend(out->verdict_reasons,
                      out->verdict == TARS_REPORT_NOT_APPROVED ? b->failures : b->missing);
}

/* Masks every string value, recursively (lists of objects included), but those
 * named in skip: Markdown tars composed from parts it masked and escaped already
 * (masking again would read an escaped "\\*\\*\\*\\*" as a secret and undo the escape). */
static int mask_all(json_t *v, json_t *skip)
{
    struct tars_buf buf = TARS_BUF_INIT(1u << 20);
    const char *key;
    json_t *item;
    size_t i;
    int rc = TARS_OK;

    if (json_is_object(v)) {
        json_object_foreach(v, key, item) {
            if (skip && json_object_get(skip, key))
                continue;
            if (json_is_string(item)) {
                tars_buf_reset(&buf);
                if ((rc = tars_report_mask(json_string_value(item), &buf)) != TARS_OK)
                    break;
                json_object_set_new(v, key, json_string(buf.data ? buf.data : ""));
            } else if ((rc = mask_all(item, NULL)) != TARS_OK) {
                break;
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            if ((rc = mask_all(item, NULL)) != TARS_OK)
                break;
        }
    }
    tars_buf_release(&buf);
    return rc;
}

static void bind_header(struct bind *b, const char *title, time_t now)
{
    char stamp[32];
    struct tm tm;
    const char *s;

    put_str(b->values, "TITLE", title ? title : "T.A.R.S. Staging Release Report");
    if (gmtime_r(&now, &tm) && strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm))
        put_str(b->values, "REPORT_TIMESTAMP", stamp);
    if ((s = json_string_value(json_object_get(b->run, "started_at"))))
        put_str(b->values, "RUN_STARTED_AT", s);
    if ((s = json_string_value(json_object_get(b->run, "ended_at"))))
        put_str(b->values, "RUN_ENDED_AT", s);
    if ((s = json_string_value(json_object_get(json_object_get(b->run, "tars"), "version"))))
        put_str(b->values, "TARS_VERSION", s);
    if ((s = json_string_value(json_object_get(json_object_get(b->run, "tars"), "git_sha"))))
        put_str(b->values, "TARS_GIT_SHA", s);
    if ((s = json_string_value(json_object_get(json_object_get(b->run, "machine"), "hostname"))))
        put_str(b->values, "MACHINE", s);
    bind_reason(b, "RUN_ENDED_AT", "the run has no end time (tars release writes it)");
    bind_reason(b, "RUN_STARTED_AT", "the run has no start time");
}

int tars_report_bind(json_t *run, const char *title, time_t now, struct tars_report_binding *out,
                     struct tars_err *err)
{
    struct bind b;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(run))
        return tars_err_set(err, TARS_EINVAL, "run.json is not a JSON object");
    b.run = run;
    b.values = json_object();
    b.reasons = json_object();
    b.markdown = json_object();
    b.failures = json_array();
    b.missing = json_array();
    b.interrupted = false;
    bind_header(&b, title, now);
    bind_interrupted(&b);
    bind_release(&b);
    bind_checks(&b);
    bind_loads(&b);
    bind_ws(&b);
    bind_db(&b);
    bind_judgements(&b);
    bind_hotfixes(&b);
    bind_known_issues(&b);
    bind_unknowable(&b);
    bind_verdict(&b, out);
    rc = mask_all(b.values, b.markdown);
    rc = rc ? rc : mask_all(out->verdict_reasons, NULL);
    json_decref(b.failures);
    json_decref(b.missing);
    out->values = b.values;
    out->reasons = b.reasons;
    out->markdown = b.markdown;
    if (rc != TARS_OK) {
        tars_report_binding_release(out);
        return tars_err_set(err, rc, "a value of the run is too large to mask");
    }
    return TARS_OK;
}

void tars_report_binding_release(struct tars_report_binding *b)
{
    json_decref(b->values);
    json_decref(b->reasons);
    json_decref(b->verdict_reasons);
    json_decref(b->markdown);
    memset(b, 0, sizeof(*b));
}
