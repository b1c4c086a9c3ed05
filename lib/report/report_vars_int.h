/* The report binding's internals: one builder shared by the report_vars*.c files. */
#ifndef TARS_REPORT_VARS_INT_H
#define TARS_REPORT_VARS_INT_H

#include <stdbool.h>

#include "tars/err.h"
#include "tars/report_vars.h"

#define MARK_OK "✅"
#define MARK_FAIL "❌"
#define MARK_UNKNOWN "⚠️"

struct bind {
    json_t *run;      /* borrowed */
    json_t *values;   /* NAME -> value */
    json_t *reasons;  /* NAME -> reason */
    json_t *markdown; /* NAME -> true: values that are Markdown (parts escaped) */
    json_t *failures; /* strings: what failed */
    json_t *missing;  /* strings: what evidence is missing or could not be judged */
    bool interrupted; /* a release that stopped mid-run: inconclusive, whatever else */
};

/* Three states of a judged criterion. */
enum judged { JUDGED_MET, JUDGED_FAILED, JUDGED_UNKNOWN };

void put_str(json_t *obj, const char *name, const char *value);
void put_fmt(json_t *obj, const char *name, const char *fmt, ...) TARS_PRINTF(3, 4);
void put_ms(json_t *obj, const char *name, double ms);
void put_pct(json_t *obj, const char *name, double fraction);
void put_rate(json_t *obj, const char *name, double part, double whole);
void put_int(json_t *obj, const char *name, long long n);
void put_mark(json_t *obj, const char *name, enum judged j);
void put_status(json_t *obj, const char *name, enum judged j); /* "✅ PASS" ... */

/* Values of the report (b->values), and reasons for those it lacks. */
void bind_reason(struct bind *b, const char *name, const char *reason);
void bind_reasons(struct bind *b, const char *const *names, const char *reason);
void bind_failure(struct bind *b, const char *fmt, ...) TARS_PRINTF(2, 3);
void bind_missing(struct bind *b, const char *fmt, ...) TARS_PRINTF(2, 3);

/* Numbers from the run: true when present. */
bool num_at(json_t *obj, const char *key, double *out);

/* A list of one object per element of array (a template's loop), each
 * filled by fill(item, element, ctx). */
typedef void (*vars_fill_fn)(json_t *item, json_t *element, void *ctx);
json_t *vars_list(json_t *array, vars_fill_fn fill, void *ctx);

/* The record of a named stage in run.json "stages" (NULL when absent). */
json_t *find_stage(json_t *run, const char *name);

void bind_checks(struct bind *b);
void bind_loads(struct bind *b);
void bind_ws(struct bind *b);
void bind_db(struct bind *b);
void bind_release(struct bind *b);
void bind_judgements(struct bind *b); /* comparison, canary, zero downtime, stages, decisions */
void bind_hotfixes(struct bind *b);
void bind_unknowable(struct bind *b); /* the seed's variables no run can know */

#endif
