/*
 * Test-only driver of tars_report_html (the real entry point, `tars report
 * --html`, belongs to the report command): html_driver MARKDOWN RUN_JSON OUT
 * [TITLE]. RUN_JSON "-" draws no charts. Exit 0 written, 3 bad input, 2 a
 * rendering error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tars/report_html.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)n + 1)) && fread(data, 1, (size_t)n, f) == (size_t)n) {
        data[n] = '\0';
        *len = (size_t)n;
    } else {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv)
{
    struct tars_err err = TARS_ERR_INIT;
    json_error_t jerr;
    json_t *run = NULL;
    size_t len = 0;
    char *md;
    FILE *out;
    int rc;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: html_driver MARKDOWN RUN_JSON|- OUT.html [TITLE]\n");
        return 3;
    }
    if (!(md = read_all(argv[1], &len))) {
        fprintf(stderr, "html_driver: cannot read %s\n", argv[1]);
        return 3;
    }
    if (argv[2][0] != '-' && !(run = json_load_file(argv[2], 0, &jerr))) {
        fprintf(stderr, "html_driver: %s: %s\n", argv[2], jerr.text);
        free(md);
        return 3;
    }
    if (!(out = fopen(argv[3], "w"))) {
        fprintf(stderr, "html_driver: cannot write %s\n", argv[3]);
        free(md);
        json_decref(run);
        return 3;
    }
    rc = tars_report_html(out, argc == 5 ? argv[4] : "tars report", md, len, run, &err);
    if (fclose(out) != 0 && rc == 0)
        rc = tars_err_set(&err, TARS_EIO, "cannot close %s", argv[3]);
    if (rc)
        fprintf(stderr, "html_driver: %s\n", err.msg);
    free(md);
    json_decref(run);
    return rc ? 2 : 0;
}
