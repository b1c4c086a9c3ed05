/* The parsed form of a report template, shared by the parser and the renderer. */
#ifndef TARS_REPORT_TEMPLATE_INT_H
#define TARS_REPORT_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "tars/report_template.h"

enum tpl_kind { TPL_TEXT, TPL_VAR, TPL_EACH, TPL_IF };

struct tpl_node;
struct tpl_list {
    struct tpl_node *items;
    size_t count, cap;
};

struct tpl_node {
    enum tpl_kind kind;
    size_t offset;    /* of the tag (or text) in the source */
    const char *text; /* TPL_TEXT: into the template's source */
    size_t len;
    char name[TARS_TEMPLATE_MAX_NAME + 1]; /* TPL_VAR, TPL_EACH, TPL_IF */
    bool has_else;                         /* TPL_IF */
    struct tpl_list body, alt;             /* blocks; alt is the {else} part */
};

struct tars_tpl {
    char *source;
    size_t len;
    char file[200];
    struct tpl_list root;
};

/* 1-based line and column (in characters) of offset in t's source. */
void tpl_position(const tars_tpl *t, size_t offset, int *line, int *col);

#endif
