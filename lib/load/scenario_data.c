/*
 * `data: {file: users.csv, mode: round_robin | unique}` (docs/load-format.md
 * §1.9): a CSV file read when the scenario is loaded, its header row naming
 * columns that become variables of every journey's steps. RFC 4180: fields
 * separated by ",", lines by LF or CRLF, a field in double quotes may hold
 * commas, line ends and "" for a quote. Bounded: TARS_LOAD_DATA_MAX_BYTES,
 * _ROWS, _COLUMNS, and TARS_LOAD_MAX_VALUE bytes a cell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario_int.h"
#include "tars/alloc.h"
#include "tars/buf.h"

struct csv_reader {
    const char *text;
    size_t len, pos;
    size_t line; /* of pos, 1-based */
    struct tars_buf cell;
};

/* Reads path whole (at most TARS_LOAD_DATA_MAX_BYTES). */
static int read_text(const char *path, char **out, size_t *len, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    int rc = TARS_OK;

    *out = NULL;
    if (!f) {
        snprintf(why, why_size, "cannot open \"%s\": %s", path, strerror(errno));
        return TARS_EINVAL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "\"%s\" is not a regular file", path);
        rc = TARS_EINVAL;
    } else if (st.st_size > TARS_LOAD_DATA_MAX_BYTES) {
        snprintf(why, why_size, "\"%s\" is over %d MiB", path, TARS_LOAD_DATA_MAX_BYTES >> 20);
        rc = TARS_EINVAL;
    } else {
        *out = xmalloc((size_t)st.st_size + 1);
        *len = fread(*out, 1, (size_t)st.st_size, f);
        (*out)[*len] = '\0';
        if (ferror(f)) {
            snprintf(why, why_size, "cannot read \"%s\"", path);
            rc = TARS_EINVAL;
        }
    }
    fclose(f);
    return rc;
}

/* One field into r->cell; *end_of_row when it ended a line (or the text).
 * TARS_EINVAL with why for an unterminated quote or an oversized cell. */
static int next_field(struct csv_reader *r, bool *end_of_row, char *why, size_t why_size)
{
    bool quoted = r->pos < r->len && r->text[r->pos] == '"';
    size_t start_line = r->line;

    tars_buf_reset(&r->cell);
    r->pos += quoted;
    for (; r->pos < r->len; r->pos++) {
        char ch = r->text[r->pos];
        if (quoted && ch == '"') {
            if (r->pos + 1 < r->len && r->text[r->pos + 1] == '"') {
                r->pos++;
            } else {
                quoted = false;
                continue;
            }
        } else if (!quoted && (ch == ',' || ch == '\n' || ch == '\r')) {
            break;
        }
        if (ch == '\n')
            r->line++;
        if (tars_buf_append(&r->cell, &ch, 1)) {
            snprintf(why, why_size, "line %zu: a field is over %d bytes", start_line,
                     TARS_LOAD_MAX_VALUE);
            return TARS_EINVAL;
        }
    }
    if (quoted) {
        snprintf(why, why_size, "line %zu: a quoted field is not closed", start_line);
        return TARS_EINVAL;
    }
    *end_of_row = r->pos >= r->len || r->text[r->pos] != ',';
    if (r->pos < r->len && r->text[r->pos] == '\r')
        r->pos++;
    if (r->pos < r->len) {
        if (r->text[r->pos] == '\n')
            r->line++;
        r->pos++;
    }
    if (tars_buf_append(&r->cell, "", 1))
        return TARS_EINVAL;
    return TARS_OK;
}

static int read_header(struct csv_reader *r, struct tars_load_data *d, char *why, size_t why_size)
{
    bool end = false;
    int rc;

    d->columns = xcalloc(TARS_LOAD_DATA_MAX_COLUMNS, sizeof(*d->columns));
    while (!end) {
        if ((rc = next_field(r, &end, why, why_size)))
            return rc;
        if (d->column_count == TARS_LOAD_DATA_MAX_COLUMNS) {
            snprintf(why, why_size, "more than %d columns", TARS_LOAD_DATA_MAX_COLUMNS);
            return TARS_EINVAL;
        }
        if (!scenario_is_identifier(r->cell.data) || strlen(r->cell.data) > 64 ||
            strcmp(r->cell.data, "user") == 0) {
            snprintf(why, why_size,
                     "line 1: column \"%.64s\" must be an identifier of at most 64 bytes, not "
                     "user (it is a variable)",
                     r->cell.data);
            return TARS_EINVAL;
        }
        for (size_t i = 0; i < d->column_count; i++)
            if (strcmp(d->columns[i], r->cell.data) == 0) {
                snprintf(why, why_size, "line 1: column \"%s\" is named twice", r->cell.data);
                return TARS_EINVAL;
            }
        d->columns[d->column_count++] = xstrdup(r->cell.data);
    }
    return TARS_OK;
}

static int read_rows(struct csv_reader *r, struct tars_load_data *d, char *why, size_t why_size)
{
    size_t cap = 0;
    int rc;

    while (r->pos < r->len) {
        size_t line = r->line, n = 0;
        bool end = false;
        if (r->text[r->pos] == '\n' || r->text[r->pos] == '\r') { /* a blank line */
            r->line += r->text[r->pos] == '\n';
            r->pos++;
            continue;
        }
        if (d->row_count == TARS_LOAD_DATA_MAX_ROWS) {
            snprintf(why, why_size, "more than %d rows", TARS_LOAD_DATA_MAX_ROWS);
            return TARS_EINVAL;
        }
        if ((d->row_count + 1) * d->column_count > cap) {
            cap = cap ? cap * 2 : 64 * d->column_count;
            d->cells = xrealloc(d->cells, cap * sizeof(*d->cells));
        }
        /* counted before it is read, its cells NULL: release frees a half-read row */
        memset(&d->cells[d->row_count * d->column_count], 0, d->column_count * sizeof(*d->cells));
        d->row_count++;
        while (!end) {
            if ((rc = next_field(r, &end, why, why_size)))
                return rc;
            if (n == d->column_count) {
                snprintf(why, why_size, "line %zu: more fields than the %zu columns", line,
                         d->column_count);
                return TARS_EINVAL;
            }
            d->cells[(d->row_count - 1) * d->column_count + n++] = xstrdup(r->cell.data);
        }
        if (n != d->column_count) {
            snprintf(why, why_size, "line %zu: %zu fields, the header has %zu", line, n,
                     d->column_count);
            return TARS_EINVAL;
        }
    }
    return TARS_OK;
}

/* The file named relative to the scenario's directory (as k6 and Locust do). */
static char *resolve(const char *scenario_file, const char *name)
{
    const char *slash = scenario_file ? strrchr(scenario_file, '/') : NULL;
    struct tars_buf b = TARS_BUF_INIT(8192);

    if (name[0] == '/' || !slash)
        return xstrdup(name);
    if (tars_buf_printf(&b, "%.*s/%s", (int)(slash - scenario_file), scenario_file, name)) {
        tars_buf_release(&b);
        return xstrdup(name);
    }
    return tars_buf_take(&b, NULL);
}

int scenario_read_data(const struct scenario_reader *rd, json_t *root, struct tars_load_scenario *s)
{
    static const char *const keys[] = {"file", "mode", NULL};
    json_t *v = json_object_get(root, "data"), *mode;
    struct csv_reader r = {NULL, 0, 0, 1, TARS_BUF_INIT(TARS_LOAD_MAX_VALUE + 1)};
    const char *file, *m;
    char why[256] = "";
    char *text = NULL;
    int rc;

    if (!v)
        return TARS_OK;
    if (!json_is_object(v))
        return scenario_fail(rd, v, "data must be a mapping {file, mode}, not %s",
                             tars_json_kind(v));
    if ((rc = tars_json_check_keys(&rd->json, v, "data", keys, NULL)))
        return rc;
    if (!json_object_get(v, "file"))
        return scenario_fail(rd, scenario_first_node(v), "data needs a file");
    if ((rc = tars_json_string_of(&rd->json, json_object_get(v, "file"), "data file", 4096, &file)))
        return rc;
    if ((mode = json_object_get(v, "mode"))) {
        if ((rc = tars_json_string_of(&rd->json, mode, "data mode", 32, &m)))
            return rc;
        if (strcmp(m, "unique") != 0 && strcmp(m, "round_robin") != 0)
            return scenario_fail(rd, mode, "data mode \"%s\": use round_robin or unique", m);
        s->data.unique = strcmp(m, "unique") == 0;
    }
    s->data.file = resolve(rd->file, file);
    rc = read_text(s->data.file, &text, &r.len, why, sizeof(why));
    r.text = text;
    if (!rc && (rc = read_header(&r, &s->data, why, sizeof(why))) == TARS_OK)
        rc = read_rows(&r, &s->data, why, sizeof(why));
    if (!rc && s->data.row_count == 0) {
        snprintf(why, sizeof(why), "no rows after the header");
        rc = TARS_EINVAL;
    }
    tars_buf_release(&r.cell);
    free(text);
    if (rc)
        return scenario_fail(rd, json_object_get(v, "file"), "data %s: %s", s->data.file, why);
    return TARS_OK;
}

void scenario_data_release(struct tars_load_data *d)
{
    for (size_t i = 0; i < d->column_count; i++)
        free(d->columns[i]);
    free(d->columns);
    for (size_t i = 0; i < d->row_count * d->column_count; i++)
        free(d->cells[i]);
    free(d->cells);
    free(d->file);
    memset(d, 0, sizeof(*d));
}
