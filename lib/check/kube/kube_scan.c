/*
 * Selecting the listed objects a sub-check judges (names, match, exclude,
 * min_count), collecting every problem into one bounded reason, and small
 * readers over Kubernetes objects.
 */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"
#include "tars/alloc.h"
#include "tars/json.h"
#include "tars/str.h"

void kube_scan_problem(struct kube_scan *s, const char *fmt, ...)
{
    char one[TARS_CHECK_REASON_MAX];
    const char *sep = s->len ? "; " : "";
    va_list ap;
    int n;

    s->bad++;
    va_start(ap, fmt);
    n = vsnprintf(one, sizeof(one), fmt, ap);
    va_end(ap);
    if (n < 0 || s->len + strlen(sep) + (size_t)n >= sizeof(s->text)) {
        s->omitted++;
        return;
    }
    s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s%s", sep, one);
}

void kube_scan_unmeasured(struct kube_scan *s, const char *fmt, ...)
{
    va_list ap;

    if (s->unmeasured++ == 0) {
        va_start(ap, fmt);
        vsnprintf(s->first_unmeasured, sizeof(s->first_unmeasured), fmt, ap);
        va_end(ap);
    }
}

void kube_scan_finish(const struct kube_scan *s, const char *pass_text,
                      struct tars_check_result *out)
{
    if (s->bad == 0 && s->unmeasured)
        tars_check_error(out, false, "%zu figure(s) not reported, nothing to judge them by: %s",
                         s->unmeasured, s->first_unmeasured);
    else if (s->bad == 0)
        tars_check_pass(out, "%s", pass_text);
    else if (s->omitted == 0)
        tars_check_fail(out, "%s", s->text);
    else
        tars_check_fail(out, "%s (+%zu more)", s->len ? s->text : "problems", s->omitted);
}

const char *kube_obj_name(json_t *obj)
{
    const char *s = kube_str_at(obj, "metadata.name");
    return s ? s : "?";
}

const char *kube_str_at(json_t *obj, const char *path)
{
    return json_string_value(tars_json_path(obj, path));
}

long long kube_int_at(json_t *obj, const char *path, long long fallback)
{
    json_t *v = tars_json_path(obj, path);
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    /* A count from the cluster that is 1e300 has no long long: the fallback,
     * never an undefined cast. */
    if (json_is_real(v) && fabs(json_real_value(v)) < 9e18)
        return (long long)json_real_value(v);
    return fallback;
}

json_t *kube_param_list(const struct tars_check_ctx *ctx, const char *name)
{
    json_t *v = json_object_get(ctx->params, name);

    if (json_is_string(v))
        return json_pack("[O]", v);
    if (json_is_array(v))
        return json_incref(v);
    return NULL;
}

bool kube_list_has(json_t *list, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v) {
        const char *e = json_string_value(v);
        if (e && strcmp(e, s) == 0)
            return true;
    }
    return false;
}

double kube_num(const struct tars_check_ctx *ctx, const char *name, double fallback)
{
    json_t *v = json_object_get(ctx->params, name);
    double d;

    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v) && tars_parse_double(json_string_value(v), &d) == 0)
        return d;
    return fallback;
}

bool kube_bool(const struct tars_check_ctx *ctx, const char *name, bool fallback)
{
    json_t *v = json_object_get(ctx->params, name);
    const char *s = json_string_value(v);

    if (json_is_boolean(v))
        return json_is_true(v);
    if (s && strcmp(s, "true") == 0)
        return true;
    if (s && strcmp(s, "false") == 0)
        return false;
    return fallback;
}

const char *kube_namespace(const struct tars_check_ctx *ctx, const struct kube_target *t)
{
    const char *ns = tars_check_target_str(ctx, "kubernetes", "namespace");

    if (ns && ns[0])
        return ns;
    if (t && t->namespace && t->namespace[0])
        return t->namespace;
    return "default";
}

static bool name_matches(const char *name, const char *want, const char *match)
{
    if (strcmp(match, "substring") == 0)
        return strstr(name, want) != NULL;
    if (strcmp(match, "prefix") == 0)
        return strncmp(name, want, strlen(want)) == 0;
    return strcmp(name, want) == 0;
}

static bool excluded(json_t *exclude, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(exclude, i, v) {
        const char *e = json_string_value(v);
        if (e && e[0] && strstr(name, e))
            return true;
    }
    return false;
}

/* Marks every entry of names that name matches; true when one does. */
static bool mark_names(json_t *names, bool *seen, const char *name, const char *match)
{
    bool any = false;
    size_t i;
    json_t *v;

    json_array_foreach(names, i, v) {
        const char *want = json_string_value(v);
        if (want && name_matches(name, want, match)) {
            seen[i] = true;
            any = true;
        }
    }
    return any;
}

struct selection {
    json_t *names;   /* NULL: every object */
    json_t *exclude; /* substrings */
    const char *match;
    bool *seen; /* per entry of names */
};

static void select_and_judge(struct kube_run *kr, json_t *items, struct selection *sel,
                             struct kube_scan *scan)
{
    size_t i;
    json_t *item;

    json_array_foreach(items, i, item) {
        const char *name = kube_obj_name(item);
        if (excluded(sel->exclude, name))
            continue;
        if (sel->names && !mark_names(sel->names, sel->seen, name, sel->match))
            continue;
        scan->selected++;
        if (kr->sc->object)
            kr->sc->object(kr, item, scan);
    }
}

static void report_missing(struct kube_run *kr, struct selection *sel, struct kube_scan *scan)
{
    size_t i;
    json_t *v;

    json_array_foreach(sel->names, i, v) {
        if (!sel->seen[i])
            kube_scan_problem(scan, "%s \"%s\" not found", kr->res->noun,
                              json_string_value(v) ? json_string_value(v) : "?");
    }
}

/* The verdict once the objects are judged. */
static void conclude(struct kube_run *kr, struct selection *sel, struct kube_scan *scan,
                     struct tars_check_result *out)
{
    const struct kube_resource *r = kr->res;
    const char *selector = tars_check_param_str(kr->ctx, "selector", NULL);
    double min_count = kube_num(kr->ctx, "min_count", 0);
    char pass[TARS_CHECK_REASON_MAX];

    /* Zero objects against a min_count is a measured "no"; without one,
     * there is nothing to judge. */
    if (scan->selected == 0 && !sel->names && !(min_count > 0)) {
        tars_check_empty(kr->ctx, out, "namespace \"%s\" has no %s%s%s%s", kr->ns ? kr->ns : "?",
                         r->nouns, selector ? " matching \"" : "", selector ? selector : "",
                         selector ? "\"" : "");
        return;
    }
    if (min_count > 0 && (double)scan->selected < min_count)
        kube_scan_problem(scan, "%zu %s, expected at least %.0f", scan->selected,
                          scan->selected == 1 ? r->noun : r->nouns, min_count);
    snprintf(pass, sizeof(pass), "%zu %s %s", scan->selected,
             scan->selected == 1 ? r->noun : r->nouns,
             kr->sc->pass_phrase ? kr->sc->pass_phrase : "present");
    kube_scan_finish(scan, pass, out);
}

void kube_scan_items(struct kube_run *kr, json_t *items, struct tars_check_result *out)
{
    struct selection sel = {kube_param_list(kr->ctx, "names"), kube_param_list(kr->ctx, "exclude"),
                            tars_check_param_str(kr->ctx, "match", "exact"), NULL};
    struct kube_scan *scan = xcalloc(1, sizeof(*scan));

    if (sel.names)
        sel.seen = xcalloc(json_array_size(sel.names) + 1, sizeof(bool));
    select_and_judge(kr, items, &sel, scan);
    if (sel.names)
        report_missing(kr, &sel, scan);
    conclude(kr, &sel, scan, out);
    free(sel.seen);
    free(scan);
    json_decref(sel.names);
    json_decref(sel.exclude);
}

static json_t *items_of(json_t *v)
{
    return json_is_object(v) ? json_object_get(v, "items") : v;
}

void kube_evaluate(const struct tars_check_ctx *ctx, json_t *items, json_t *aux,
                   struct tars_check_result *out)
{
    const char *check = tars_check_param_str(ctx, "check", "");
    struct kube_run kr = {ctx,  kube_subcheck_find(check), NULL,
                          NULL, kube_namespace(ctx, NULL), items_of(aux)};

    if (!kr.sc) {
        tars_check_error(out, false, "unknown kubernetes check \"%s\"", check);
        return;
    }
    kr.res = kube_subcheck_resource(kr.sc, ctx);
    items = items_of(items);
    if (kr.sc->run || !kr.res || !json_is_array(items))
        tars_check_error(out, false, "check \"%s\" cannot be judged on a list", check);
    else if (kr.sc->whole)
        kr.sc->whole(&kr, items, out);
    else
        kube_scan_items(&kr, items, out);
}
