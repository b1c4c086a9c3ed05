/* Placeholder until the HTML renderer lands (see tars/report_html.h). */
#include "tars/report_html.h"

int tars_report_html(FILE *out, const char *title, const char *markdown, size_t len, json_t *run,
                     struct tars_err *err)
{
    (void)out;
    (void)title;
    (void)markdown;
    (void)len;
    (void)run;
    return tars_err_set(err, TARS_EINTERNAL, "the HTML report is not built yet");
}
