/*
 * The route table of `tars serve`: method + path template ("/api/v1/
 * evaluations/{id}") → handler and the lowest role allowed. Templates have at
 * most SRV_MAX_PARAMS "{name}" segments; a parameter matches one non-empty
 * segment. Matching is a linear scan of a short constant table.
 */
#ifndef TARS_SERVER_ROUTER_H
#define TARS_SERVER_ROUTER_H

#include <stddef.h>

#define SRV_MAX_PARAMS 2
#define SRV_PARAM_MAX 128

enum srv_method {
    SRV_GET,
    SRV_POST,
    SRV_PUT,
    SRV_DELETE,
    SRV_OPTIONS,
    SRV_METHOD_COUNT,
    SRV_METHOD_OTHER = SRV_METHOD_COUNT
};

/* Who may call a route: public, or at least this role. */
/* SRV_WEBSOCKET: the handler authenticates itself and answers a bad token
 * in the protocol (close 1008); no HTTP rate limit applies. */
enum srv_access {
    SRV_WEBSOCKET = -3,
    SRV_PUBLIC = -2,
    SRV_AUTH_ENDPOINT = -1,
    SRV_VIEWER = 0,
    SRV_DEVELOPER = 1,
    SRV_ADMIN = 2
};

struct srv_req;
typedef void (*srv_handler_fn)(struct srv_req *r);

struct srv_route {
    enum srv_method method;
    const char *template;
    enum srv_access access;
    srv_handler_fn handler;
};

struct srv_params {
    int count;
    char value[SRV_MAX_PARAMS][SRV_PARAM_MAX];
};

enum srv_match { SRV_MATCHED, SRV_NOT_FOUND, SRV_WRONG_METHOD };

enum srv_method srv_method_parse(const char *s, size_t len);
const char *srv_method_name(enum srv_method m);

/* Matches path (no query string) against the table. On SRV_MATCHED *route
 * and params are set; on SRV_WRONG_METHOD allow gets "GET, POST" (the methods
 * the path does accept). A parameter longer than SRV_PARAM_MAX-1 bytes does
 * not match (404). */
enum srv_match srv_route_match(enum srv_method method, const char *path, size_t len,
                               const struct srv_route **route, struct srv_params *params,
                               char *allow, size_t allow_size);

size_t srv_route_count(void);
const struct srv_route *srv_route_at(size_t i);
/* Position of route in the table (metrics use it as an array index). */
size_t srv_route_index(const struct srv_route *route);

#endif
