/* The report binding: check results (run.json "checks", from tars validate). */
#include <stdio.h>
#include <string.h>

#include "report_vars_int.h"

struct counts {
    long long total, pass, fail, skip, error;
};

/* The seed's category prefixes and the check categories of the shipped suites. */
struct category_map {
    const char *prefix;
    const char *category;
};

static const struct category_map staging_categories[] = {{"K8S", "kubernetes"},
                                                         {"HEALTH", "service_health"},
                                                         {"DB", "database"},
                                                         {"GRAFANA", "grafana"},
                                                         {"PROM", "prometheus_rules"},
                                                         {"JAEGER", "jaeger"},
                                                         {"WS", "websocket"},
                                                         {"PPO", "ppo"},
                                                         {"SLO", "slo"},
                                                         {"CANARY", "canary"},
                                                         {NULL, NULL}};

static const struct category_map regression_categories[] = {{"API", "api"},
                                                            {"AGENT", "agents"},
                                                            {"COORD", "coordination"},
                                                            {"AUTOML", "automl"},
                                                            {"HYPERSYNC", "hypersync"},
                                                            {"COGNITIVE", "cognitive"},
                                                            {"REGION", "multi_region"},
                                                            {"SECURITY", "security"},
                                                            {NULL, NULL}};

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void count_one(struct counts *c, const char *status)
{
    c->total++;
    if (strcmp(status, "pass") == 0)
        c->pass++;
    else if (strcmp(status, "fail") == 0)
        c->fail++;
    else if (strcmp(status, "skip") == 0)
        c->skip++;
    else
        c->error++;
}

static enum judged judge_counts(const struct counts *c)
{
    if (c->fail)
        return JUDGED_FAILED;
    if (c->error || c->pass == 0)
        return JUDGED_UNKNOWN;
    return JUDGED_MET;
}

static void put_counts(json_t *obj, const char *prefix, const char *tests_word,
                       const struct counts *c)
{
    char name[96];

    snprintf(name, sizeof(name), "%s_%s", prefix, tests_word);
    put_int(obj, name, c->total);
    snprintf(name, sizeof(name), "%s_PASSED", prefix);
    put_int(obj, name, c->pass);
    snprintf(name, sizeof(name), "%s_FAILED", prefix);
    put_int(obj, name, c->fail);
    snprintf(name, sizeof(name), "%s_SKIPPED", prefix);
    put_int(obj, name, c->skip);
    snprintf(name, sizeof(name), "%s_ERRORS", prefix);
    put_int(obj, name, c->error);
    snprintf(name, sizeof(name), "%s_PASS_RATE", prefix);
    put_rate(obj, name, (double)c->pass, (double)c->total);
    snprintf(name, sizeof(name), "%s_MARK", prefix);
    put_mark(obj, name, judge_counts(c));
}

static const char *status_mark(const char *status)
{
    if (strcmp(status, "pass") == 0)
        return MARK_OK " pass";
    if (strcmp(status, "fail") == 0)
        return MARK_FAIL " fail";
    if (strcmp(status, "skip") == 0)
        return "⏭️ skip";
    return MARK_UNKNOWN " error";
}

static json_t *check_item(json_t *check, const char *suite)
{
    json_t *item = json_object();
    double ms;

    put_str(item, "ID", str_of(check, "id"));
    put_str(item, "SUITE", suite);
    put_str(item, "CATEGORY", str_of(check, "category"));
    put_str(item, "STATUS", status_mark(str_of(check, "status")));
    put_str(item, "REASON", str_of(check, "reason"));
    if (num_at(check, "duration_ms", &ms))
        put_ms(item, "DURATION", ms);
    return item;
}

/* Whether s contains any of words (a substring, not a whole-word match). */
static bool contains_any(const char *s, const char *const *words)
{
    for (; *words; words++) {
        if (strstr(s, *words))
            return true;
    }
    return false;
}

/* Which listed sections a check belongs to besides its category. */
static void file_check(struct bind *b, json_t *check, const char *suite)
{
    static const char *const security_words[] = {"auth",   "rate_limit", "cors",  "tls",
                                                 "secret", "rbac",       "token", NULL};
    static const char *const observability[] = {"prometheus", "monitoring",     "grafana",
                                                "jaeger",     "service_health", NULL};
    const char *category = str_of(check, "category"), *id = str_of(check, "id");
    const char *status = str_of(check, "status");

    json_array_append_new(json_object_get(b->values, "CHECKS"), check_item(check, suite));
    if (strcmp(status, "pass") != 0)
        json_array_append_new(json_object_get(b->values, "CHECKS_NOT_PASSED"),
                              check_item(check, suite));
    if (strcmp(category, "security") == 0 || contains_any(id, security_words))
        json_array_append_new(json_object_get(b->values, "SECURITY_CHECKS"),
                              check_item(check, suite));
    if (contains_any(category, observability))
        json_array_append_new(json_object_get(b->values, "OBSERVABILITY_CHECKS"),
                              check_item(check, suite));
    if (strcmp(status, "fail") == 0)
        bind_failure(b, "check %s failed: %s", id, str_of(check, "reason"));
    else if (strcmp(status, "pass") != 0 && strcmp(status, "skip") != 0)
        bind_missing(b, "check %s could not be run: %s", id, str_of(check, "reason"));
}

static struct counts counts_of(json_t *cats, const char *category)
{
    json_t *c = json_object_get(cats, category);
    struct counts k = {0, 0, 0, 0, 0};

    if (c)
        k = (struct counts){
            json_integer_value(json_array_get(c, 0)), json_integer_value(json_array_get(c, 1)),
            json_integer_value(json_array_get(c, 2)), json_integer_value(json_array_get(c, 3)),
            json_integer_value(json_array_get(c, 4))};
    return k;
}

/* Counts of every category, in order of first appearance, in *cats (an object
 * category -> [total, pass, fail, skip, error]). */
static void count_category(json_t *cats, const char *category, const char *status)
{
    struct counts k = counts_of(cats, category);

    count_one(&k, status);
    json_object_set_new(cats, category,
                        json_pack("[IIIII]", (json_int_t)k.total, (json_int_t)k.pass,
                                  (json_int_t)k.fail, (json_int_t)k.skip, (json_int_t)k.error));
}

static void bind_mapped(struct bind *b, json_t *cats, const struct category_map *map,
                        struct counts *sum)
{
    char name[96], why[160];

    for (; map->prefix; map++) {
        struct counts k = counts_of(cats, map->category);
        if (k.total) {
            put_counts(b->values, map->prefix, "TESTS", &k);
        } else {
            static const char *const suffixes[] = {"TESTS", "PASSED", "FAILED", "PASS_RATE", NULL};
            snprintf(why, sizeof(why), "no check of category \"%s\" in this run", map->category);
            for (size_t i = 0; suffixes[i]; i++) {
                snprintf(name, sizeof(name), "%s_%s", map->prefix, suffixes[i]);
                bind_reason(b, name, why);
            }
        }
        if (sum) {
            sum->total += k.total;
            sum->pass += k.pass;
            sum->fail += k.fail;
            sum->skip += k.skip;
            sum->error += k.error;
        }
    }
}

static void bind_category_list(struct bind *b, json_t *cats)
{
    json_t *list = json_array(), *c;
    const char *category;

    json_object_foreach(cats, category, c) {
        struct counts k = counts_of(cats, category);
        json_t *item = json_object();
        put_str(item, "CATEGORY", category);
        put_counts(item, "CAT", "TOTAL", &k);
        json_array_append_new(list, item);
    }
    json_object_set_new(b->values, "CATEGORIES", list);
}

static void bind_no_checks(struct bind *b)
{
    static const char *const names[] = {"STAGING_TOTAL",
                                        "STAGING_PASSED",
                                        "STAGING_FAILED",
                                        "STAGING_SKIPPED",
                                        "STAGING_ERRORS",
                                        "STAGING_PASS_RATE",
                                        "STAGING_MARK",
                                        "STAGING_TOTAL_PASS",
                                        "REGRESSION_TOTAL",
                                        "REGRESSION_PASSED",
                                        "REGRESSION_FAILED",
                                        "REGRESSION_SKIPPED",
                                        "REGRESSION_PASS_RATE",
                                        "REGRESSION_MARK",
                                        "STAGING_REPORT_URL",
                                        "REGRESSION_REPORT_URL",
                                        "STAGING_E2E_PASS",
                                        "STAGING_SEC_PASS",
                                        NULL};
    bind_reasons(b, names, "no check results recorded (tars validate --run DIR)");
    bind_missing(b, "no check results recorded (run tars validate SUITE --run DIR)");
}

static void bind_category_rate(struct bind *b, json_t *cats, const char *name, const char *cat)
{
    struct counts k = counts_of(cats, cat);
    char why[128];

    if (k.total) {
        put_fmt(b->values, name, "%.1f%% (%lld/%lld)", 100.0 * (double)k.pass / (double)k.total,
                k.pass, k.total);
    } else {
        snprintf(why, sizeof(why), "no check of category \"%s\" in this run", cat);
        bind_reason(b, name, why);
    }
}

void bind_checks(struct bind *b)
{
    json_t *suites = json_object_get(json_object_get(b->run, "checks"), "suites"), *suite, *check;
    json_t *cats = json_object();
    struct counts all = {0, 0, 0, 0, 0}, regression = {0, 0, 0, 0, 0};
    size_t i, j;

    for (const char *const *l =
             (const char *const[]){"CHECKS", "CHECKS_NOT_PASSED", "SECURITY_CHECKS",
                                   "OBSERVABILITY_CHECKS", NULL};
         *l; l++)
        json_object_set_new(b->values, *l, json_array());
    json_array_foreach(suites, i, suite) {
        json_array_foreach(json_object_get(suite, "checks"), j, check) {
            const char *status = str_of(check, "status");
            count_one(&all, status);
            count_category(cats, str_of(check, "category"), status);
            file_check(b, check, str_of(suite, "name"));
        }
    }
    if (all.total == 0) {
        bind_no_checks(b);
        bind_mapped(b, cats, staging_categories, NULL);
        bind_mapped(b, cats, regression_categories, NULL);
        json_decref(cats);
        return;
    }
    put_counts(b->values, "STAGING", "TOTAL", &all);
    put_fmt(b->values, "STAGING_TOTAL_PASS", "%.1f%%",
            100.0 * (double)all.pass / (double)all.total);
    put_str(b->values, "STAGING_REPORT_URL", "checks.junit.xml");
    put_str(b->values, "HAVE_CHECKS", "yes");
    bind_mapped(b, cats, staging_categories, NULL);
    bind_mapped(b, cats, regression_categories, &regression);
    if (regression.total) {
        put_counts(b->values, "REGRESSION", "TOTAL", &regression);
        put_str(b->values, "REGRESSION_REPORT_URL", "checks.junit.xml");
    } else {
        static const char *const names[] = {"REGRESSION_TOTAL",      "REGRESSION_PASSED",
                                            "REGRESSION_FAILED",     "REGRESSION_SKIPPED",
                                            "REGRESSION_PASS_RATE",  "REGRESSION_MARK",
                                            "REGRESSION_REPORT_URL", NULL};
        bind_reasons(b, names,
                     "no check of a regression category (api, agents, coordination, "
                     "automl, hypersync, cognitive, multi_region, security) in this run");
    }
    bind_category_rate(b, cats, "STAGING_E2E_PASS", "e2e");
    bind_category_rate(b, cats, "STAGING_SEC_PASS", "security");
    bind_category_list(b, cats);
    json_decref(cats);
}
