/*
 * Report templates (docs/report.md, "Template language"): Markdown text with
 *
 *   {NAME}                     a value; NAME is [A-Z][A-Z0-9_]* (the seed's placeholders)
 *   {#each LIST}...{/each}     the block once per element of the list LIST (objects
 *                              whose keys are looked up first inside the block)
 *   {#if NAME}...{else}...{/if} the first block when NAME has a value (not false,
 *                              not "", not an empty list), else the optional second
 *   {! comment }               nothing
 *   {{                         a literal "{"
 *
 * Any other "{" followed by a letter, '#', '/' or '!' that does not form one of
 * these is an error naming file:line:column; "{" before anything else is text.
 * A template is parsed once into a tree and rendered any number of times.
 *
 * Values come from a jansson object (NAME -> string, number, boolean or array
 * of objects). A NAME with no value renders as "n/a (REASON)", the reason taken
 * from env->reasons[NAME], and is reported in the unresolved list (for --strict).
 */
#ifndef TARS_REPORT_TEMPLATE_H
#define TARS_REPORT_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tars/buf.h"
#include "tars/err.h"

#define TARS_TEMPLATE_MAX_BYTES (4u * 1024 * 1024)   /* template text */
#define TARS_TEMPLATE_MAX_DEPTH 16                   /* nested #each / #if */
#define TARS_TEMPLATE_MAX_NAME 64                    /* bytes in a NAME */
#define TARS_TEMPLATE_MAX_OUTPUT (32u * 1024 * 1024) /* rendered bytes */
#define TARS_TEMPLATE_MAX_ITEMS 100000               /* elements of one #each list */
#define TARS_TEMPLATE_MAX_STEPS 20000000u            /* nodes rendered, #each rounds included */

/* Brackets around every substituted value when env->mark_values is set, so a
 * test can tell generated text from the template's own. */
#define TARS_TEMPLATE_MARK_OPEN '\x1e'
#define TARS_TEMPLATE_MARK_CLOSE '\x1f'

typedef struct tars_tpl tars_tpl;

/* Parses text (len bytes; name is used in messages, e.g. the file name).
 * Errors: TARS_EINVAL "name:line:col: what", TARS_ETOOBIG past the limits. */
int tars_tpl_parse(const char *name, const char *text, size_t len, tars_tpl **out,
                   struct tars_err *err) TARS_MUST_CHECK;
void tars_tpl_free(tars_tpl *t);

/* Every NAME the template refers to (placeholders and block names), each
 * once, in order of first appearance: a new array of strings. */
json_t *tars_tpl_names(const tars_tpl *t);

struct tars_tpl_env {
    json_t *values;             /* object, borrowed */
    json_t *reasons;            /* object NAME -> why it has no value; may be NULL */
    const char *default_reason; /* when reasons has none; NULL: "not recorded" */
    bool mark_values;           /* wrap each value in TARS_TEMPLATE_MARK_* */
    json_t *markdown;           /* object NAME -> true: values that are Markdown; may be NULL */
};

/* Appends s (n bytes) to out as Markdown text: what Markdown would read as
 * syntax backslash-escaped, line breaks made spaces. The renderer does this to
 * every string value not named in env->markdown; a binder that composes a
 * Markdown value from outside text escapes the parts with this. */
int tars_tpl_escape(const char *s, size_t n, struct tars_buf *out) TARS_MUST_CHECK;

/*
 * Appends the rendering to out. unresolved (an array, may be NULL) receives
 * each placeholder NAME rendered as "n/a (...)", once. Errors: TARS_ETOOBIG
 * when the output would pass TARS_TEMPLATE_MAX_OUTPUT (or out->max), an #each
 * list is too long, the rendering takes more than TARS_TEMPLATE_MAX_STEPS steps
 * (nested #each blocks multiply even when they print nothing), or a value is neither scalar nor
 * list where one is used.
 */
int tars_tpl_render(const tars_tpl *t, const struct tars_tpl_env *env, struct tars_buf *out,
                    json_t *unresolved, struct tars_err *err) TARS_MUST_CHECK;

#endif
