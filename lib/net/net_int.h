/* Internals shared by lib/net's own files; not a public header. */
#ifndef TARS_NET_INT_H
#define TARS_NET_INT_H

#include "tars/net.h"

extern const struct tars_net_ops net_plain_ops;
extern const struct tars_net_ops net_tls_ops;

/* The kind an errno value counts as. */
int net_kind_of_errno(int errnum);

/*
 * Records a failure: sets c->kind, formats "<what> <label>: <errno text>"
 * into err when err is non-NULL, returns code.
 */
int net_fail(struct tars_net_conn *c, int code, int kind, int errnum, const char *what,
             struct tars_err *err);

/* First step of every handshake: the outcome of the connect (SO_ERROR). */
int net_finish_connect(struct tars_net_conn *c, struct tars_err *err);

/* Creates the TLS state of a connection whose socket is open. */
int net_tls_attach(struct tars_net_conn *c, struct tars_err *err);

#endif
