/*
 * The terminal, as a command's progress and verdicts see it (docs/cli-output.md):
 * live progress (a line redrawn in place) only on a terminal outside CI, colour
 * only there too and never with NO_COLOR set; plain lines everywhere else.
 */
#ifndef TARS_CLI_TERM_H
#define TARS_CLI_TERM_H

#include <stdbool.h>
#include <stdio.h>

struct cli_term {
    bool live;   /* a terminal, not CI: progress redrawn in place */
    bool colour; /* live, NO_COLOR unset or empty, TERM not "dumb" */
};

/* What f can show. */
void cli_term_probe(struct cli_term *t, FILE *f);

enum cli_tone { CLI_TONE_PASS, CLI_TONE_FAIL, CLI_TONE_UNDECIDED };

/* word, in the tone's colour (green, red, yellow) when t->colour; buf holds
 * the result (word itself is returned when no colour applies or buf is small). */
const char *cli_term_paint(const struct cli_term *t, enum cli_tone tone, const char *word,
                           char *buf, size_t cap);

/* Erases the line the cursor is on (a live progress line) when t->live. */
void cli_term_clear(const struct cli_term *t, FILE *f);

#endif
