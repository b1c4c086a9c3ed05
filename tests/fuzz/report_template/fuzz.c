/* Report templates (`tars report --template`): parsed, then rendered against
 * values with lists, so that blocks nest and loop. */
#include "fuzz.h"
#include "tars/report_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_buf out = TARS_BUF_INIT(1 << 20);
    struct tars_tpl_env env = {0};
    tars_tpl *t = NULL;
    json_t *names, *unresolved = json_array();

    if (tars_tpl_parse("f.md", (const char *)data, size, &t, &err) == TARS_OK) {
        names = tars_tpl_names(t);
        env.values =
            json_pack("{s:s,s:i,s:f,s:b,s:[{s:s},{s:i},{}],s:[{s:[{s:s},{}]}],s:n}", "A", "text",
                      "N", 42, "F", 1.5, "B", 1, "L", "A", "x", "N", 7, "M", "L", "A", "y", "Z");
        env.reasons = json_pack("{s:s}", "Z", "not measured");
        env.mark_values = size & 1;
        (void)tars_tpl_render(t, &env, &out, unresolved, &err);
        json_decref(env.values);
        json_decref(env.reasons);
        json_decref(names);
    }
    tars_buf_release(&out);
    tars_tpl_free(t);
    json_decref(unresolved);
    return 0;
}
