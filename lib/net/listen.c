/* Listening sockets and "HOST:PORT" listen addresses (server side of tars/net.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tars/net.h"
#include "tars/str.h"

int tars_net_parse_listen(const char *spec, char *host, size_t host_size, int *port)
{
    const char *colon = strrchr(spec, ':');
    const char *h = spec;
    size_t hl;
    int64_t p;

    if (!colon || tars_parse_i64(colon + 1, 0, 65535, &p))
        return TARS_EINVAL;
    hl = (size_t)(colon - spec);
    if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
        h = spec + 1;
        hl -= 2;
    }
    if (hl == 0) {
        h = "127.0.0.1";
        hl = strlen(h);
    }
    if (hl >= host_size)
        return TARS_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return TARS_OK;
}

/* A numeric address into ss; 0 when host is not one. */
static socklen_t numeric_address(const char *host, int port, struct sockaddr_storage *ss)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return sizeof(*v4);
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return sizeof(*v6);
    }
    return 0;
}

bool tars_net_is_loopback(const char *host)
{
    struct sockaddr_storage ss;

    if (!numeric_address(host, 0, &ss))
        return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

int tars_net_listen(const char *host, int port, bool reuse_port, struct tars_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len = numeric_address(host, port, &ss);
    int fd, one = 1;

    if (!len)
        return tars_err_set(err, TARS_EINVAL, "listen address \"%s\" is not a numeric IP address",
                            host);
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return tars_err_set(err, TARS_EIO, "socket: %s", strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return tars_err_set(err, TARS_EIO, "cannot listen on %s:%d: %s", host, port, strerror(e));
    }
    return fd;
}

int tars_net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}
