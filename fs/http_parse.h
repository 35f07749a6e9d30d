/* The HTTP front end's request parser (fs/http.c serves; docs/FS.md "HTTP").
 *
 * Pure functions, no I/O and no allocation, so they can be unit-tested and
 * fuzzed: http_parse_head() reads a request head (request line, headers) from
 * the bytes received so far; http_parse_target() splits the request target
 * into the container id and the file name.
 *
 * Accepted: HTTP/1.0 and HTTP/1.1, lines ending in CRLF or a bare LF,
 * header names in any case.  Refused: a head over HTTP_HEAD_MAX (431), a
 * body over HTTP_BODY_MAX (413), chunked bodies, folded header lines,
 * control characters, duplicate conflicting Content-Length (400).
 */
#ifndef OCIFS_FS_HTTP_PARSE_H
#define OCIFS_FS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 16384
#define HTTP_BODY_MAX 65536
#define HTTP_TARGET_MAX 1024
#define HTTP_TOKEN_MAX 256
#define HTTP_NAME_MAX 64

enum http_method {
	HTTP_GET,
	HTTP_POST,
	HTTP_OTHER, /* a well-formed method the server does not serve: 405 */
};

struct http_request {
	enum http_method method;
	char target[HTTP_TARGET_MAX]; /* as sent, NUL-terminated */
	size_t head_len;              /* bytes up to and including the blank line */
	size_t content_length;        /* 0 when absent */
	bool has_auth;                /* an Authorization header with the Bearer scheme */
	char token[HTTP_TOKEN_MAX];   /* its credentials, NUL-terminated */
	bool expect_continue;         /* Expect: 100-continue */
	const char *error;            /* why, when the parse failed (a static string) */
};

/* Parses the head in buf[0..len).  Returns 0 when more bytes are needed,
 * a positive head length when the head is complete (req filled), or a
 * negative HTTP status (-400, -413, -431) with req->error set. */
int http_parse_head(const char *buf, size_t len, struct http_request *req);

/* What a target names: /v1/ (LIST), /v1/FILE (ROOT_FILE), /v1/ID/
 * (CTR_DIR), /v1/ID/FILE (CTR_FILE).  A query string is ignored. */
enum http_target_kind {
	TARGET_LIST,
	TARGET_ROOT_FILE,
	TARGET_CTR_DIR,
	TARGET_CTR_FILE,
};

struct http_target {
	enum http_target_kind kind;
	char id[129];             /* CTR_DIR, CTR_FILE; valid per ocifs_id_valid */
	char file[HTTP_NAME_MAX]; /* ROOT_FILE, CTR_FILE: [A-Za-z0-9][A-Za-z0-9_.-]* */
};

/* 0, or a positive HTTP status: 404 (not under /v1/, too deep, a file name
 * that no file can have), 400 (an invalid container id, a bad escape).
 * *why says which. */
int http_parse_target(const char *target, struct http_target *out, const char **why);

/* The reason phrase of a status ("Not Found"); "Unknown" when not known. */
const char *http_reason(int status);

/* The status of a failed ctl command or read: EINVAL 400, ENOENT 404,
 * EEXIST/EBUSY 409, EACCES/EPERM 403, anything else 500. */
int http_status_of_errno(int code);
/* The errno's name ("EBUSY"), "EIO" when it has none. */
const char *http_errno_name(int code);

#endif
