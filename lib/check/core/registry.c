/* The table of check types. Each type lives in its own file and is listed
 * here by name (strong references: they are also what pulls each type's
 * object out of the static library into the binary). */
#include <string.h>

#include "tars/check.h"

#define TYPE(name) extern const struct tars_check_type tars_check_##name;
TYPE(http)
TYPE(kubernetes)
TYPE(prometheus)
TYPE(prometheus_rules)
TYPE(prometheus_rule_health)
TYPE(slo)
TYPE(ppo)
TYPE(canary)
TYPE(grafana)
TYPE(jaeger)
TYPE(websocket)
TYPE(database)
TYPE(api_compat)
#undef TYPE

static const struct tars_check_type *const all_types[] = {
    &tars_check_http,
    &tars_check_kubernetes,
    &tars_check_prometheus,
    &tars_check_prometheus_rules,
    &tars_check_prometheus_rule_health,
    &tars_check_slo,
    &tars_check_ppo,
    &tars_check_canary,
    &tars_check_grafana,
    &tars_check_jaeger,
    &tars_check_websocket,
    &tars_check_database,
    &tars_check_api_compat,
};

#define TYPE_COUNT (sizeof(all_types) / sizeof(all_types[0]))

const struct tars_check_type *tars_check_type_find(const char *name)
{
    for (size_t i = 0; i < TYPE_COUNT; i++)
        if (all_types[i] && strcmp(all_types[i]->name, name) == 0)
            return all_types[i];
    return NULL;
}

size_t tars_check_type_names(const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < TYPE_COUNT && n < max; i++)
        if (all_types[i])
            out[n++] = all_types[i]->name;
    return n;
}
