/* Grafana dashboard answers (/api/dashboards/uid/X) as the grafana check scans
 * their panels for expressions that bypass the recording rules. */
#include "fuzz.h"
#include "core/misc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct grafana_panel_scan scan;
    json_t *doc = fuzz_json(data, size);
    char *text;

    if (doc) {
        memset(&scan, 0, sizeof(scan));
        grafana_scan_panels(json_object_get(doc, "dashboard") ? json_object_get(doc, "dashboard")
                                                              : doc,
                            "tars:", &scan);
        json_decref(doc);
    }
    text = fuzz_string(data, size); /* a single panel expression */
    (void)grafana_expr_uses_rule(text, "tars:");
    free(text);
    return 0;
}
