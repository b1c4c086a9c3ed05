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
tars_template *template_new(void);

/* Compiles len bytes of text and appends them. json_string: the text sits
 * inside a JSON string, so literal parts and inserted strings are escaped.
 * TARS_EINVAL naming the problem and its column; t is then unspecified (free
 * it). */
int template_add_text(tars_template *t, const char *text, size_t len, bool json_string,
                      struct tars_err *err) TARS_MUST_CHECK;

/* Appends len bytes rendered as they are. */
void template_add_literal(tars_template *t, const char *s, size_t len);

/* True when t is exactly one ${random.int(..)} or ${seq} call: it renders a
 * JSON number, so a mapping body writes it without quotes. */
bool template_is_single_number(const tars_template *t);

#endif
