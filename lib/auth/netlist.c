/*
 * Lists of networks ("127.0.0.0/8,::1/128,10.0.0.0/8"): IPv4 and IPv6
 * CIDRs, a bare address meaning one host. IPv4-mapped IPv6 peers
 * (::ffff:a.b.c.d) match IPv4 entries.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tars/alloc.h"
#include "tars/err.h"
#include "tars/ratelimit.h"
#include "tars/str.h"

#define NETLIST_ENTRIES_MAX 256
#define NETLIST_ENTRY_LEN_MAX 64 /* longer than any address with a prefix */

struct net_entry {
    int family; /* AF_INET or AF_INET6 */
    int prefix; /* bits */
    uint8_t addr[16];
};

struct tars_netlist {
    size_t count;
    struct net_entry entries[];
};

static void set_error(char *errbuf, size_t errlen, const char *what, const char *entry, size_t len)
{
    if (!errbuf || errlen == 0)
        return;
    if (len > NETLIST_ENTRY_LEN_MAX)
        len = NETLIST_ENTRY_LEN_MAX;
    snprintf(errbuf, errlen, "%s \"%.*s\"", what, (int)len, entry);
}

/* Clears the bits after prefix. */
static void mask_host_bits(uint8_t *addr, int prefix, int bits)
{
    for (int i = prefix; i < bits; i++)
        addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

/* Parses "addr" or "addr/prefix" (text NUL-terminated, no spaces). */
static int parse_entry(char *text, struct net_entry *e)
{
    char *slash = strchr(text, '/');
    int64_t prefix;
    int bits;

    if (slash)
        *slash = '\0';
    if (inet_pton(AF_INET, text, e->addr) == 1) {
        e->family = AF_INET;
        bits = 32;
    } else if (inet_pton(AF_INET6, text, e->addr) == 1) {
        e->family = AF_INET6;
        bits = 128;
    } else {
        return TARS_EINVAL;
    }
    prefix = bits;
    if (slash && tars_parse_i64(slash + 1, 0, bits, &prefix) != TARS_OK)
        return TARS_EINVAL;
    e->prefix = (int)prefix;
    mask_host_bits(e->addr, e->prefix, bits);
    return TARS_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses the entry in [s, s+len) (spaces around it allowed) into e. */
static int parse_item(const char *s, size_t len, struct net_entry *e, char *errbuf, size_t errlen)
{
    char text[NETLIST_ENTRY_LEN_MAX + 1];

    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len == 0) {
        set_error(errbuf, errlen, "empty entry in network list", "", 0);
        return TARS_EINVAL;
    }
    if (len <= NETLIST_ENTRY_LEN_MAX) {
        memcpy(text, s, len);
        text[len] = '\0';
        if (parse_entry(text, e) == TARS_OK)
            return TARS_OK;
    }
    set_error(errbuf, errlen, "invalid network", s, len);
    return TARS_EINVAL;
}

static bool is_blank(const char *s)
{
    while (is_space(*s))
        s++;
    return *s == '\0';
}

struct tars_netlist *tars_netlist_parse(const char *spec, char *errbuf, size_t errlen)
{
    struct tars_netlist *nl;
    size_t count = 1;

    if (!spec || is_blank(spec))
        return xcalloc(1, sizeof(*nl));
    for (const char *p = spec; *p; p++)
        count += *p == ',';
    if (count > NETLIST_ENTRIES_MAX) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "too many networks: %zu, at most %d", count,
                     NETLIST_ENTRIES_MAX);
        return NULL;
    }
    nl = xcalloc(1, sizeof(*nl) + count * sizeof(nl->entries[0]));
    for (const char *p = spec;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (parse_item(p, len, &nl->entries[nl->count], errbuf, errlen) != TARS_OK) {
            free(nl);
            return NULL;
        }
        nl->count++;
        if (!end)
            break;
        p = end;
    }
    return nl;
}

void tars_netlist_free(struct tars_netlist *nl)
{
    free(nl);
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    uint8_t mask;

    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    mask = (uint8_t)(0xff00u >> rest);
    return (a[whole] & mask) == (b[whole] & mask);
}

static bool list_has(const struct tars_netlist *nl, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < nl->count; i++) {
        const struct net_entry *e = &nl->entries[i];
        if (e->family == family && prefix_equal(e->addr, addr, e->prefix))
            return true;
    }
    return false;
}

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool tars_netlist_contains(const struct tars_netlist *nl, const void *sockaddr)
{
    const char *sa = sockaddr;
    sa_family_t family;
    uint8_t addr[16];

    if (!nl || !sa)
        return false;
    memcpy(&family, sa + offsetof(struct sockaddr, sa_family), sizeof(family));
    if (family == AF_INET) {
        memcpy(addr, sa + offsetof(struct sockaddr_in, sin_addr), 4);
        return list_has(nl, AF_INET, addr);
    }
    if (family != AF_INET6)
        return false;
    memcpy(addr, sa + offsetof(struct sockaddr_in6, sin6_addr), 16);
    if (list_has(nl, AF_INET6, addr))
        return true;
    return memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0 &&
           list_has(nl, AF_INET, addr + 12);
}
