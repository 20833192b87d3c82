/*
 * A small HTTP/1.1 server for a keep's pre-opened listening socket: fd 3, or the number in env
 * LISTEN_FD. One thread, non-blocking sockets, one net_poll() (= poll()) loop over the listener
 * and up to 1024 connections; connections beyond that are accepted and closed at once.
 *
 * Routes:
 *   GET /          200 "hello from the keep\n" (text/plain)
 *   GET /bytes/N   200 with N bytes (0 <= N <= 2^40) where byte i (from 0) is i mod 251, sent in
 *                  chunks as the socket takes them, never buffered (251 is prime, so a lost or
 *                  repeated chunk of any power-of-two size changes the bytes)
 *   POST /echo     200 with the request body (Content-Length, at most 1 MiB), sent back as it
 *                  arrives
 *   GET /exit      200 "bye\n", then the program exits 0 once that is sent (other connections
 *                  may still be open)
 *   anything else  404
 * Requests: the request line and headers (at most 16 KiB, else 431), Content-Length bodies (more
 * than 1 MiB gets 413; a body on another route is read and dropped), no chunked bodies (501).
 * HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0 closes it unless
 * "Connection: keep-alive". Pipelined requests are answered in order. A malformed request gets
 * 400. After a response that closes, the server shuts down its sending side and reads until
 * the client closes (so the response is not lost to a reset). "Expect: 100-continue" gets
 * "100 Continue" before the body is read.
 *
 * Calls: fcntl(F_GETFL/F_SETFL O_NONBLOCK) on the listener (fd_fdstat_get/fd_fdstat_set_flags),
 * accept4(SOCK_NONBLOCK) (sock_accept with the NONBLOCK fdflag), recv/send (sock_recv/sock_send),
 * shutdown(SHUT_WR) (sock_shutdown), poll_oneoff through net_poll. A failure on one connection
 * closes that connection only; nothing is printed per request, only fatal errors (exit 1).
 * Natively, see net_native.h (NATIVE_LISTEN=PORT).
 */
#define _GNU_SOURCE /* accept4 in glibc */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_native.h"

#define MAX_CONNS 1024
#define IN_CAP (16 * 1024)       /* a request head must fit */
#define MAX_BODY (1024 * 1024)   /* larger Content-Length: 413 */
#define OUT_HIGH (64 * 1024)     /* no new request is parsed while more than this waits to go out */
#define OUT_KEEP (64 * 1024)     /* an empty output buffer larger than this is freed */
#define MAX_BYTES ((uint64_t)1 << 40)
#define PERIOD 251               /* /bytes/N: byte i is i mod PERIOD */
#define CHUNK (128 * 1024)       /* /bytes/N: at most this much per send */

static unsigned char pattern[CHUNK + PERIOD]; /* pattern[i] = i mod PERIOD */

struct conn {
  int fd;
  int dead;
  /* Input: the unparsed bytes are in[in_off, in_len). */
  size_t in_off, in_len;
  int peer_eof;          /* the client shut down its sending side */
  uint64_t body_left;    /* bytes of the current request's body still to come */
  int body_echo;         /* ...which go to the output (POST /echo), else are dropped */
  /* Output: out[out_off, out_len), then stream_left bytes of the pattern from stream_pos. */
  char *out;
  size_t out_off, out_len, out_cap;
  uint64_t stream_left, stream_pos;
  int close_after;       /* the last response said "Connection: close" */
  int exit_after;        /* ...and it answered GET /exit */
  int draining;          /* our side is shut down; reading until the client closes */
  char in[IN_CAP];
};

static struct conn *active[MAX_CONNS];
static size_t n_active;
static struct pollfd pfds[MAX_CONNS + 1];
static struct conn *pconn[MAX_CONNS + 1];

static void fatal(const char *what) {
  fprintf(stderr, "net_http: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

static void close_conn(struct conn *c) {
  if (c->dead) return;
  if (c->exit_after) exit(0); /* GET /exit's client went away before "bye" was sent */
  close(c->fd);
  c->dead = 1;
}

static int out_append(struct conn *c, const void *p, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n) cap *= 2;
    char *out = realloc(c->out, cap);
    if (!out) return -1;
    c->out = out;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  return 0;
}

/* Appends a response head; the body (`length` bytes) is the caller's to send. */
static int head(struct conn *c, const char *status, const char *type, uint64_t length, int keep, int http10) {
  char h[256];
  const char *connection = !keep ? "Connection: close\r\n" : http10 ? "Connection: keep-alive\r\n" : "";
  int n = snprintf(h, sizeof h, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n%s\r\n", status, type,
                   (unsigned long long)length, connection);
  c->close_after = !keep;
  return out_append(c, h, (size_t)n);
}

/* A complete response with a short text body. */
static int reply(struct conn *c, const char *status, const char *body, int keep, int http10) {
  size_t n = strlen(body);
  return head(c, status, "text/plain", n, keep, http10) < 0 ? -1 : out_append(c, body, n);
}

/* Case-insensitive comparison of s[0, n) with a lower-case literal. */
static int ieq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && strncasecmp(s, lit, n) == 0; }

static int eq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && memcmp(s, lit, n) == 0; }

/* Length of the request head at buf (through its empty line, CRLF or LF), or 0 if incomplete. */
static size_t head_length(const char *buf, size_t len) {
  const char *end = buf + len;
  for (const char *p = buf; (p = memchr(p, '\n', (size_t)(end - p))) != NULL;) {
    p++;
    if (p < end && *p == '\n') return (size_t)(p + 1 - buf);
    if (p + 1 < end && p[0] == '\r' && p[1] == '\n') return (size_t)(p + 2 - buf);
  }
  return 0;
}

/* Decimal digits only, at most `max`; 0 if not a number or too large. */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *v) {
  uint64_t x = 0;
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    x = x * 10 + (uint64_t)(s[i] - '0');
    if (x > max) return 0;
  }
  *v = x;
  return 1;
}

static int all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return n > 0;
}

struct request {
  const char *method, *target;
  size_t method_len, target_len;
  int http10;
  int keep;
  int has_length;
  uint64_t length;       /* Content-Length; MAX_BODY + 1 stands for anything larger */
  int expect_continue;
  int chunked;           /* Transfer-Encoding present */
};

static int is_space(char ch) { return ch == ' ' || ch == '\t'; }

/* Parses the head (without its empty line) into r: 0 if malformed. */
static int parse_head(const char *p, const char *end, struct request *r) {
  int conn_close = 0, conn_keep = 0;
  memset(r, 0, sizeof *r);
  for (int first = 1; p < end; first = 0) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line = p, *eol = nl ? nl : end;
    p = nl ? nl + 1 : end;
    if (eol > line && eol[-1] == '\r') eol--;
    size_t n = (size_t)(eol - line);
    for (size_t i = 0; i < n; i++)
      if (line[i] == '\r' || line[i] == '\0') return 0;
    if (first) { /* METHOD SP TARGET SP HTTP/1.x */
      const char *sp1 = memchr(line, ' ', n);
      const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
      if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1) return 0;
      r->method = line;
      r->method_len = (size_t)(sp1 - line);
      r->target = sp1 + 1;
      r->target_len = (size_t)(sp2 - sp1 - 1);
      if (eq(sp2 + 1, (size_t)(eol - sp2 - 1), "HTTP/1.1"))
        r->http10 = 0;
      else if (eq(sp2 + 1, (size_t)(eol - sp2 - 1), "HTTP/1.0"))
        r->http10 = 1;
      else
        return 0;
      continue;
    }
    /* NAME ":" OWS VALUE OWS; no whitespace in the name, no folded lines */
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line) return 0;
    for (const char *q = line; q < colon; q++)
      if (is_space(*q)) return 0;
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *vend = eol;
    while (v < vend && is_space(*v)) v++;
    while (vend > v && is_space(vend[-1])) vend--;
    size_t vlen = (size_t)(vend - v);
    if (ieq(line, name_len, "content-length")) {
      uint64_t x = MAX_BODY + 1;
      if (!all_digits(v, vlen)) return 0;
      parse_u64(v, vlen, MAX_BODY, &x); /* too large: stays MAX_BODY + 1 */
      if (r->has_length && x != r->length) return 0;
      r->has_length = 1;
      r->length = x;
    } else if (ieq(line, name_len, "transfer-encoding")) {
      r->chunked = 1;
    } else if (ieq(line, name_len, "expect")) {
      r->expect_continue = ieq(v, vlen, "100-continue");
    } else if (ieq(line, name_len, "connection")) {
      for (const char *t = v; t < vend;) { /* comma-separated tokens */
        const char *comma = memchr(t, ',', (size_t)(vend - t));
        const char *tend = comma ? comma : vend;
        const char *a = t, *b = tend;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        if (ieq(a, (size_t)(b - a), "close")) conn_close = 1;
        if (ieq(a, (size_t)(b - a), "keep-alive")) conn_keep = 1;
        t = comma ? comma + 1 : vend;
      }
    }
  }
  r->keep = !conn_close && (!r->http10 || conn_keep);
  return 1;
}

/* Answers one request from the input: 1 if it did, 0 if the input holds no complete head yet. */
static int take_request(struct conn *c) {
  /* Empty lines before a request line are ignored (RFC 9112 section 2.2). */
  for (;;) {
    if (c->in_off < c->in_len && c->in[c->in_off] == '\n')
      c->in_off++;
    else if (c->in_len - c->in_off >= 2 && c->in[c->in_off] == '\r' && c->in[c->in_off + 1] == '\n')
      c->in_off += 2;
    else
      break;
  }
  const char *p = c->in + c->in_off;
  size_t avail = c->in_len - c->in_off;
  size_t hlen = head_length(p, avail);
  if (hlen == 0) {
    if (avail < IN_CAP) return 0;
    return reply(c, "431 Request Header Fields Too Large", "request head too large\n", 0, 0) < 0 ? -1 : 1;
  }
  c->in_off += hlen;

  struct request r;
  const char *head_end = p + hlen - (p[hlen - 2] == '\r' ? 2 : 1); /* without the empty line */
  if (!parse_head(p, head_end, &r)) return reply(c, "400 Bad Request", "bad request\n", 0, 0) < 0 ? -1 : 1;
  if (r.chunked) return reply(c, "501 Not Implemented", "chunked bodies are not supported\n", 0, r.http10) < 0 ? -1 : 1;
  if (r.length > MAX_BODY) return reply(c, "413 Content Too Large", "body larger than 1 MiB\n", 0, r.http10) < 0 ? -1 : 1;
  if (r.expect_continue && r.length > 0 && !r.http10 && out_append(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0)
    return -1;
  c->body_left = r.length;
  c->body_echo = 0;

  int get = eq(r.method, r.method_len, "GET"), post = eq(r.method, r.method_len, "POST");
  const char *t = r.target;
  size_t tn = r.target_len;
  int e;
  if (get && eq(t, tn, "/")) {
    e = reply(c, "200 OK", "hello from the keep\n", r.keep, r.http10);
  } else if (get && tn > 7 && memcmp(t, "/bytes/", 7) == 0 && all_digits(t + 7, tn - 7)) {
    uint64_t n;
    if (!parse_u64(t + 7, tn - 7, MAX_BYTES, &n)) {
      e = reply(c, "400 Bad Request", "N is larger than 2^40\n", 0, r.http10);
    } else {
      e = head(c, "200 OK", "application/octet-stream", n, r.keep, r.http10);
      c->stream_left = n;
      c->stream_pos = 0;
    }
  } else if (post && eq(t, tn, "/echo")) {
    e = head(c, "200 OK", "application/octet-stream", r.length, r.keep, r.http10);
    c->body_echo = 1;
  } else if (get && eq(t, tn, "/exit")) {
    e = reply(c, "200 OK", "bye\n", 0, r.http10);
    c->exit_after = 1;
  } else {
    e = reply(c, "404 Not Found", "not found\n", r.keep, r.http10);
  }
  return e < 0 ? -1 : 1;
}

/* Consumes the input: 1 if it stopped because too much output waits, 0 if it needs more input
 * (or the connection closes after its response), -1 when out of memory. */
static int serve(struct conn *c) {
  int r = 0;
  for (;;) {
    if (c->body_left) {
      size_t avail = c->in_len - c->in_off;
      size_t take = avail < c->body_left ? avail : (size_t)c->body_left;
      if (c->body_echo && take && out_append(c, c->in + c->in_off, take) < 0) return -1;
      c->in_off += take;
      c->body_left -= take;
      if (c->body_left) break;
    }
    if (c->close_after) break;
    if (c->stream_left || c->out_len - c->out_off > OUT_HIGH) {
      r = 1;
      break;
    }
    int got = take_request(c);
    if (got < 0) return -1;
    if (got == 0) break;
  }
  if (c->in_off > 0) { /* keep what is left at the start of the buffer */
    memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
    c->in_len -= c->in_off;
    c->in_off = 0;
  }
  return r;
}

/* Sends what it can: 0 when everything is sent, 1 when the socket is full, -1 on an error. */
static int flush(struct conn *c) {
  for (;;) {
    const void *p;
    size_t n;
    int from_out = c->out_off < c->out_len;
    if (from_out) {
      p = c->out + c->out_off;
      n = c->out_len - c->out_off;
    } else if (c->stream_left) {
      p = pattern + c->stream_pos % PERIOD;
      n = c->stream_left < CHUNK ? (size_t)c->stream_left : CHUNK;
    } else {
      c->out_off = c->out_len = 0;
      if (c->out_cap > OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
      }
      return 0;
    }
    ssize_t w = send(c->fd, p, n, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      return would_block(errno) ? 1 : -1;
    }
    if (from_out) {
      c->out_off += (size_t)w;
    } else {
      c->stream_left -= (uint64_t)w;
      c->stream_pos += (uint64_t)w;
    }
  }
}

/* Serves and sends until it waits for the socket; closes the connection when it is done. */
static void pump(struct conn *c) {
  for (;;) {
    int more = serve(c);
    int f = more < 0 ? -1 : flush(c);
    if (f < 0) {
      close_conn(c);
      return;
    }
    if (f == 1) return; /* wait for POLLOUT */
    if (c->close_after && c->body_left == 0) {
      if (c->exit_after) exit(0);
      shutdown(c->fd, SHUT_WR);
      c->draining = 1;
      c->in_off = c->in_len = 0;
      return;
    }
    if (more) continue; /* output was the limit, and it is all sent */
    if (c->peer_eof) close_conn(c); /* nothing more can come; a partial request is dropped */
    return;
  }
}

static short wanted(const struct conn *c) {
  if (c->draining) return POLLIN;
  short ev = 0;
  if (!c->peer_eof && c->in_len < IN_CAP && (!c->close_after || c->body_left)) ev |= POLLIN;
  if (c->out_off < c->out_len || c->stream_left) ev |= POLLOUT;
  return ev;
}

static void handle(struct conn *c, short revents) {
  if (c->draining) {
    ssize_t n = recv(c->fd, c->in, IN_CAP, 0);
    if (n == 0 || (n < 0 && !would_block(errno) && errno != EINTR)) close_conn(c);
    return;
  }
  if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->peer_eof && c->in_len < IN_CAP) {
    ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
    if (n > 0) {
      c->in_len += (size_t)n;
    } else if (n == 0) {
      c->peer_eof = 1;
    } else if (!would_block(errno) && errno != EINTR) {
      close_conn(c);
      return;
    }
  }
  pump(c);
}

static void accept_all(int lfd) {
  for (;;) {
    struct sockaddr_storage sa; /* wasi-libc's accept4 writes here unconditionally */
    socklen_t len = sizeof sa;
    int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (would_block(errno) || errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return;
      fatal("accept");
    }
    struct conn *c = n_active < MAX_CONNS ? malloc(sizeof *c) : NULL;
    if (!c) { /* over the limit (or out of memory): refuse */
      close(fd);
      continue;
    }
    memset(c, 0, offsetof(struct conn, in));
    c->fd = fd;
    active[n_active++] = c;
  }
}

/* A descriptor number in decimal, or -1. */
static int parse_fd(const char *s) {
  int v = 0;
  if (*s == '\0') return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 1000000) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

int main(void) {
  net_native_init();
  const char *env = getenv("LISTEN_FD");
  int lfd = env ? parse_fd(env) : 3;
  if (lfd < 0) {
    fprintf(stderr, "net_http: LISTEN_FD=%s: not a descriptor number\n", env);
    return 1;
  }
  char what[32];
  snprintf(what, sizeof what, "fd %d", lfd);
  int fl = fcntl(lfd, F_GETFL);
  if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) < 0) fatal(what);
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (unsigned char)(i % PERIOD);

  for (;;) {
    size_t n = 0;
    pfds[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
    pconn[n++] = NULL;
    for (size_t i = 0; i < n_active; i++) {
      struct conn *c = active[i];
      short ev = wanted(c);
      if (ev == 0) close_conn(c); /* cannot happen: every state waits for something */
      pfds[n] = (struct pollfd){.fd = ev ? c->fd : -1, .events = ev};
      pconn[n++] = c;
    }
    if (net_poll(pfds, n, -1) < 0) {
      if (errno == EINTR) continue;
      fatal("poll");
    }
    for (size_t i = 1; i < n; i++)
      if (pfds[i].revents && !pconn[i]->dead) handle(pconn[i], pfds[i].revents);
    if (pfds[0].revents & POLLNVAL) {
      errno = EBADF;
      fatal(what);
    }
    if (pfds[0].revents) accept_all(lfd);
    size_t kept = 0;
    for (size_t i = 0; i < n_active; i++) {
      if (active[i]->dead) {
        free(active[i]->out);
        free(active[i]);
      } else {
        active[kept++] = active[i];
      }
    }
    n_active = kept;
  }
}
