/* The terminal: live progress and colour only on a terminal outside CI (term.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "term.h"

/* CI=true (GitHub, GitLab, most CI services set it): a log, not a person. */
static bool in_ci(void)
{
    const char *ci = getenv("CI");

    return ci && *ci && strcmp(ci, "false") != 0 && strcmp(ci, "0") != 0;
}

void cli_term_probe(struct cli_term *t, FILE *f)
{
    const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");

    t->live = isatty(fileno(f)) && !in_ci();
    t->colour = t->live && !(no_colour && *no_colour) && !(term && strcmp(term, "dumb") == 0);
}

const char *cli_term_paint(const struct cli_term *t, enum cli_tone tone, const char *word,
                           char *buf, size_t cap)
{
    static const char *const codes[] = {"32", "31", "33"};
    int n;

    if (!t->colour || (unsigned)tone > CLI_TONE_UNDECIDED)
        return word;
    n = snprintf(buf, cap, "\033[%sm%s\033[0m", codes[tone], word);
    return n > 0 && (size_t)n < cap ? buf : word;
}

void cli_term_clear(const struct cli_term *t, FILE *f)
{
    if (t->live)
        fputs("\r\033[K", f);
}
