/* Small string helpers that the C library lacks or gets wrong. */
#ifndef TARS_STR_H
#define TARS_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t tars_strlcpy(char *dst, const char *src, size_t size);

/* Strict decimal parsers: the whole string must be a number in [min, max]. */
int tars_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int tars_parse_double(const char *s, double *out);

/* Same for a length-delimited string (e.g. a query parameter). */
int tars_parse_i64n(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

bool tars_str_has_prefix(const char *s, const char *prefix);
/* Whether s is one of list (NULL-terminated; a NULL list holds nothing). */
bool tars_str_in_list(const char *s, const char *const *list);
/* Writes list (NULL-terminated) as "a, b, c" into out, cut short with
 * "..." when it does not fit in size (at least 4) bytes. */
void tars_str_join(const char *const *list, char *out, size_t size);
/* The length (1-4) of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF), or 0. */
size_t tars_utf8_seq_len(const char *s);
bool tars_memeq_nocase(const char *a, size_t alen, const char *b);

/* Durations "30s", "5m", "1h30m", "250ms", "1.5s"; a bare number counts as
 * seconds. Up to TARS_DURATION_MAX_MS. */
#define TARS_DURATION_MAX_MS (366LL * 24 * 3600 * 1000)
int tars_duration_parse(const char *s, int64_t *ms);

/* "Did you mean ...?": the candidate closest to a mistyped word, by edit
 * distance (insertion, deletion, substitution, swap of neighbours; ASCII
 * case ignored), or one the word is a prefix of (3+ characters). Near
 * enough means at most 1 edit for words up to 3 characters, 2 up to 6, 3
 * beyond. Two different candidates equally near: no suggestion (NULL).
 * Feed candidates from any table one by one, then ask for the best: */
struct tars_str_suggester {
    const char *word;
    const char *best; /* NULL: none near enough yet */
    size_t best_distance;
    bool ambiguous;
};
void tars_str_suggest_init(struct tars_str_suggester *s, const char *word);
void tars_str_suggest_add(struct tars_str_suggester *s, const char *candidate);
const char *tars_str_suggest_best(const struct tars_str_suggester *s);
/* The same over a list of count names (it stops early at a NULL entry). */
const char *tars_str_suggest(const char *word, const char *const *candidates, size_t count);

#endif
