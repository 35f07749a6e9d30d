/* The HTTP request parser (contract in http_parse.h).
 *
 * The head is only looked at once its end (an empty line) is within the
 * bytes received, except for the request line, which is checked as soon as
 * it is complete so that garbage is refused without waiting for more.
 * Every index is checked against the length: the input is arbitrary bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"
#include "ocifs/engine.h"
#include "ocifs/util.h"

/* RFC 9110 tchar: what a method or a header name is made of. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A header value's bytes: visible, space, tab, obs-text. */
static bool is_field_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

/* Length of the line at buf[0..len) without its "\n" or "\r\n" in *body,
 * the whole line (with its end) returned; 0 when no '\n' is in sight. */
static size_t next_line(const char *buf, size_t len, size_t *body)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;

	if (!nl)
		return 0;
	n = (size_t)(nl - buf);
	*body = n && buf[n - 1] == '\r' ? n - 1 : n;
	return n + 1;
}

static int fail(struct http_request *req, int status, const char *why)
{
	req->error = why;
	return -status;
}

static int parse_request_line(const char *s, size_t len, struct http_request *req)
{
	size_t i = 0, m, t;

	while (i < len && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != ' ')
		return fail(req, 400, "malformed request line");
	m = i;
	if (m == 3 && memcmp(s, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (m == 4 && memcmp(s, "POST", 4) == 0)
		req->method = HTTP_POST;
	else
		req->method = HTTP_OTHER;
	t = ++i;
	while (i < len && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
		i++;
	if (i == t || i >= len || s[i] != ' ')
		return fail(req, 400, "malformed request line");
	if (i - t >= sizeof(req->target))
		return fail(req, 400, "request target too long");
	memcpy(req->target, s + t, i - t);
	req->target[i - t] = '\0';
	i++;
	if (len - i != 8 || (memcmp(s + i, "HTTP/1.1", 8) != 0 && memcmp(s + i, "HTTP/1.0", 8) != 0))
		return fail(req, 400, "unsupported HTTP version (HTTP/1.0 or HTTP/1.1)");
	return 0;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static int header_content_length(const char *v, size_t n, bool *seen, struct http_request *req)
{
	size_t val = 0;

	if (n == 0)
		return fail(req, 400, "Content-Length: not a number");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(req, 400, "Content-Length: not a number");
		val = val * 10 + (size_t)(v[i] - '0');
		if (val > HTTP_BODY_MAX)
			val = HTTP_BODY_MAX + 1; /* too large is all we need to know */
	}
	if (*seen && val != req->content_length)
		return fail(req, 400, "Content-Length: conflicting values");
	*seen = true;
	req->content_length = val;
	return 0;
}

static int header_authorization(const char *v, size_t n, bool *seen, struct http_request *req)
{
	size_t i = 6;

	if (*seen)
		return fail(req, 400, "Authorization: more than one");
	*seen = true;
	if (n < 7 || strncasecmp(v, "Bearer", 6) != 0 || v[6] != ' ')
		return 0; /* another scheme: no credentials we know */
	while (i < n && v[i] == ' ')
		i++;
	if (i == n || n - i >= sizeof(req->token))
		return 0;
	memcpy(req->token, v + i, n - i);
	req->token[n - i] = '\0';
	req->has_auth = true;
	return 0;
}

struct head_seen {
	bool length, auth;
};

static int parse_header(const char *s, size_t len, struct head_seen *seen,
			struct http_request *req)
{
	size_t i = 0, end;
	const char *v;

	if (len && (s[0] == ' ' || s[0] == '\t'))
		return fail(req, 400, "folded header lines are not supported");
	while (i < len && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != ':')
		return fail(req, 400, "malformed header line");
	for (size_t k = i + 1; k < len; k++)
		if (!is_field_char((unsigned char)s[k]))
			return fail(req, 400, "control character in a header");
	end = len;
	v = s + i + 1;
	while (v < s + end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > (size_t)(v - s) && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (name_is(s, i, "Content-Length"))
		return header_content_length(v, (size_t)(s + end - v), &seen->length, req);
	if (name_is(s, i, "Authorization"))
		return header_authorization(v, (size_t)(s + end - v), &seen->auth, req);
	if (name_is(s, i, "Transfer-Encoding"))
		return fail(req, 400, "Transfer-Encoding is not supported (send Content-Length)");
	if (name_is(s, i, "Expect") && (size_t)(s + end - v) == 12 &&
	    strncasecmp(v, "100-continue", 12) == 0)
		req->expect_continue = true;
	return 0;
}

/* The end of the head (the offset after its empty line), 0 when not yet. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

int http_parse_head(const char *buf, size_t len, struct http_request *req)
{
	struct head_seen seen = { false, false };
	size_t limit = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	size_t end, pos, n, body = 0;
	int r;

	memset(req, 0, sizeof(*req));
	if (limit && memchr(buf, '\0', limit))
		return fail(req, 400, "NUL byte in the request head");
	n = next_line(buf, limit, &body);
	if (n && (r = parse_request_line(buf, body, req)) < 0)
		return r;
	end = head_end(buf, limit);
	if (!end)
		return len >= HTTP_HEAD_MAX ? fail(req, 431, "request head too large") : 0;
	for (pos = n; pos < end;) {
		n = next_line(buf + pos, end - pos, &body);
		if (n == 0 || body == 0)
			break; /* the empty line */
		if ((r = parse_header(buf + pos, body, &seen, req)) < 0)
			return r;
		pos += n;
	}
	if (req->content_length > HTTP_BODY_MAX)
		return fail(req, 413, "request body too large (64 KiB at most)");
	req->head_len = end;
	return (int)end;
}

/* ---- targets ---- */

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into out (size bytes).  0, or -1 on a bad
 * escape, a decoded NUL or '/', or an overflow. */
static int decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hex(s[i + 1]);
			lo = hex(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
			if (c == 0 || c == '/')
				return -1;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static bool file_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || !((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'z') ||
			(s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int target_fail(const char **why, int status, const char *msg)
{
	*why = msg;
	return status;
}

int http_parse_target(const char *target, struct http_target *out, const char **why)
{
	size_t len = strcspn(target, "?#");
	const char *rest, *slash;
	size_t rlen;

	memset(out, 0, sizeof(*out));
	*why = "";
	if (len == 3 && memcmp(target, "/v1", 3) == 0) {
		out->kind = TARGET_LIST;
		return 0;
	}
	if (len < 4 || memcmp(target, "/v1/", 4) != 0)
		return target_fail(why, 404, "not found (the API is under /v1/)");
	rest = target + 4;
	rlen = len - 4;
	if (rlen == 0) {
		out->kind = TARGET_LIST;
		return 0;
	}
	slash = memchr(rest, '/', rlen);
	if (!slash) {
		if (decode(rest, rlen, out->file, sizeof(out->file)) < 0 || !file_name_ok(out->file))
			return target_fail(why, 404, "no such file");
		out->kind = TARGET_ROOT_FILE;
		return 0;
	}
	if (decode(rest, (size_t)(slash - rest), out->id, sizeof(out->id)) < 0 ||
	    !ocifs_id_valid(out->id))
		return target_fail(why, 400, "invalid container id");
	rlen -= (size_t)(slash - rest) + 1;
	rest = slash + 1;
	if (rlen == 0) {
		out->kind = TARGET_CTR_DIR;
		return 0;
	}
	if (memchr(rest, '/', rlen) || decode(rest, rlen, out->file, sizeof(out->file)) < 0 ||
	    !file_name_ok(out->file))
		return target_fail(why, 404, "no such file");
	out->kind = TARGET_CTR_FILE;
	return 0;
}

const char *http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} tab[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 204, "No Content" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 413, "Content Too Large" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 503, "Service Unavailable" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (tab[i].status == status)
			return tab[i].reason;
	return "Unknown";
}

/* The HTTP status a failed ctl command or read gets. */
int http_status_of_errno(int code)
{
	switch (code) {
	case EINVAL:
		return 400;
	case ENOENT:
		return 404;
	case EEXIST:
	case EBUSY:
		return 409;
	case EACCES:
	case EPERM:
		return 403;
	default:
		return 500;
	}
}

const char *http_errno_name(int code)
{
	const char *n = strerrorname_np(code);

	return n ? n : "EIO";
}
