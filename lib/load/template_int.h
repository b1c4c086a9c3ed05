/*
 * lib/load internals for templates, shared by template.c and scenario.c.
 *
 * A template is built from pieces: source text with ${...} calls
 * (template_add_text) and verbatim literals (template_add_literal). The
 * scenario reader uses this to turn a YAML mapping body into one JSON
 * template: the JSON punctuation goes in as literals, every string value as
 * text compiled in JSON-string mode (its literal parts, choice items and
 * environment values are JSON-escaped once, at compile time).
 */
#ifndef TARS_LOAD_TEMPLATE_INT_H
#define TARS_LOAD_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tars/load.h"

/* The longest template source accepted, in bytes. */
#define TEMPLATE_MAX_TEXT (1024 * 1024)

/* An empty template (renders nothing; never NULL). */
tars_load_template *template_new(void);

/* Compiles len bytes of text and appends them. json_string: the text sits
 * inside a JSON string, so literal parts and inserted strings are escaped.
 * TARS_EINVAL naming the problem and its column; t is then unspecified (free
 * it). */
int template_add_text(tars_load_template *t, const char *text, size_t len, bool json_string,
                      struct tars_err *err) TARS_MUST_CHECK;

/* Appends len bytes rendered as they are. */
void template_add_literal(tars_load_template *t, const char *s, size_t len);

/* How a variable's value is written where ${name} stands: in a path,
 * percent-encoded (all but RFC 3986 unreserved bytes); in a header, as it is
 * but refused when it holds a control character; in a JSON-string of a
 * mapping body, JSON-escaped; in a string body, as it is. */
enum template_escape {
    TEMPLATE_ESCAPE_NONE,
    TEMPLATE_ESCAPE_PATH,
    TEMPLATE_ESCAPE_HEADER,
    TEMPLATE_ESCAPE_JSON,
};

/* Lets later template_add_text calls compile ${name} for the count names
 * (borrowed until compiling ends; slot = index) with escape outside
 * JSON-string text. Without names, ${name} is an unknown function. */
void template_set_names(tars_load_template *t, const char *const *names, size_t count,
                        enum template_escape escape);
/* tars_load_template_compile with names (see template_set_names). */
tars_load_template *template_compile_names(const char *text, const char *const *names, size_t count,
                                           enum template_escape escape, struct tars_err *err);
/* True when t holds a ${name} variable (never pre-rendered). */
bool template_uses_vars(const tars_load_template *t);

/* True when t is exactly one ${random.int(..)} or ${seq} call: it renders a
 * JSON number, so a mapping body writes it without quotes. */
bool template_is_single_number(const tars_load_template *t);

#endif
