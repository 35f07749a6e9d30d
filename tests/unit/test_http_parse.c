/* TAP tests for the HTTP request parser (fs/http_parse.c).
 *
 * Heads: complete ones give their length and fields; cut ones ask for more
 * (0) at every cut; bad ones give the negative status and a reason.
 * Targets: each kind, and the refusals (404 outside the API or for a name
 * no file has, 400 for an invalid id).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#include "tap.h"

static const char *show(const char *s)
{
	static char buf[100];
	size_t n = 0;

	for (; *s && n < sizeof(buf) - 4; s++) {
		if (*s == '\r' || *s == '\n') {
			buf[n++] = '\\';
			buf[n++] = *s == '\r' ? 'r' : 'n';
		} else {
			buf[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static void test_good_heads(void)
{
	struct http_request r;
	const char *h = "GET /v1/web/state HTTP/1.1\r\nHost: x\r\n\r\n";
	int n = http_parse_head(h, strlen(h), &r);

	ok(n == (int)strlen(h) && r.method == HTTP_GET && strcmp(r.target, "/v1/web/state") == 0 &&
		   r.content_length == 0 && !r.has_auth && !r.expect_continue,
	   "a GET head: length %d, target %s", n, r.target);

	h = "POST /v1/ctl HTTP/1.0\r\ncontent-LENGTH:  5 \r\nAUTHORIZATION: bearer  tok-en\r\n"
	    "Expect: 100-Continue\r\n\r\nstart";
	n = http_parse_head(h, strlen(h), &r);
	ok(n == (int)strlen(h) - 5 && r.method == HTTP_POST && r.content_length == 5 &&
		   r.has_auth && strcmp(r.token, "tok-en") == 0 && r.expect_continue,
	   "a POST head, header names in any case, the body after it (%d)", n);

	h = "GET / HTTP/1.1\nX: y\n\n";
	n = http_parse_head(h, strlen(h), &r);
	ok(n == (int)strlen(h), "bare LF line ends are accepted");

	h = "DELETE /v1/ HTTP/1.1\r\n\r\n";
	ok(http_parse_head(h, strlen(h), &r) > 0 && r.method == HTTP_OTHER,
	   "another method parses as HTTP_OTHER (405 is the server's)");

	h = "GET / HTTP/1.1\r\nAuthorization: Basic dXNlcjpwdw==\r\n\r\n";
	ok(http_parse_head(h, strlen(h), &r) > 0 && !r.has_auth,
	   "another auth scheme gives no credentials");

	h = "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n";
	ok(http_parse_head(h, strlen(h), &r) > 0 && r.content_length == 3,
	   "a repeated equal Content-Length is fine");

	h = "GET / HTTP/1.1\r\nContent-Length: 65536\r\n\r\n";
	ok(http_parse_head(h, strlen(h), &r) > 0 && r.content_length == 65536,
	   "a body of exactly 64 KiB is allowed");
}

/* Every proper prefix of a good head asks for more. */
static void test_cuts(void)
{
	const char *h = "POST /v1/x/ctl HTTP/1.1\r\nContent-Length: 5\r\nAuthorization: Bearer t\r\n\r\n";
	struct http_request r;
	size_t bad = 0, len = strlen(h);

	for (size_t i = 0; i < len; i++)
		if (http_parse_head(h, i, &r) != 0)
			bad = i ? i : len;
	ok(bad == 0, "every cut of a good head asks for more bytes (first wrong at %zu)", bad);
}

struct bad {
	const char *head;
	int status;
	const char *why;
};

static const struct bad bads[] = {
	{ "garbage\r\n\r\n", 400, "malformed request line" },
	{ "garbage\r\n", 400, "malformed request line" },
	{ "GET\r\n\r\n", 400, "malformed request line" },
	{ "GET  /v1/ HTTP/1.1\r\n\r\n", 400, "malformed request line" },
	{ "GET /v1/ HTTP/1.1 \r\n\r\n", 400, "unsupported HTTP version" },
	{ "GET /v1/ HTTP/2.0\r\n\r\n", 400, "unsupported HTTP version" },
	{ "GET /v1/ http/1.1\r\n\r\n", 400, "unsupported HTTP version" },
	{ "GET /v1/\x01 HTTP/1.1\r\n\r\n", 400, "malformed request line" },
	{ "G(T /v1/ HTTP/1.1\r\n\r\n", 400, "malformed request line" },
	{ "GET /v1/ HTTP/1.1\r\nNoColon\r\n\r\n", 400, "malformed header line" },
	{ "GET /v1/ HTTP/1.1\r\n: empty\r\n\r\n", 400, "malformed header line" },
	{ "GET /v1/ HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "malformed header line" },
	{ "GET /v1/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400, "folded header lines" },
	{ "GET /v1/ HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, "control character" },
	{ "GET /v1/ HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, "Content-Length: not a number" },
	{ "GET /v1/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length: not a number" },
	{ "GET /v1/ HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "Content-Length: not a number" },
	{ "GET /v1/ HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400, "Content-Length: not a number" },
	{ "GET /v1/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
	  "Content-Length: conflicting" },
	{ "POST /v1/ctl HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	  "Transfer-Encoding is not supported" },
	{ "GET / HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n", 400,
	  "Authorization: more than one" },
	{ "POST /v1/ctl HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413, "request body too large" },
	{ "POST /v1/ctl HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413,
	  "request body too large" },
};

static void test_bad(const struct bad *b)
{
	struct http_request r;
	int n = http_parse_head(b->head, strlen(b->head), &r);

	if (!ok(n == -b->status && r.error && strncmp(r.error, b->why, strlen(b->why)) == 0,
		"refuses %s: %d %s", show(b->head), b->status, b->why))
		printf("# got %d %s\n", n, r.error ? r.error : "(null)");
}

static void test_limits(void)
{
	size_t big = HTTP_HEAD_MAX + 100;
	char *h = malloc(big + 1);
	struct http_request r;
	int n;

	memset(h, 'a', big);
	memcpy(h, "GET / HTTP/1.1\r\nX-Big: ", 23);
	h[big] = '\0';
	n = http_parse_head(h, HTTP_HEAD_MAX - 1, &r);
	ok(n == 0, "a head not finished below the limit asks for more");
	n = http_parse_head(h, big, &r);
	ok(n == -431 && r.error, "a head over %d bytes is 431", HTTP_HEAD_MAX);
	memcpy(h + 100, "\r\n\r\n", 4);
	ok(http_parse_head(h, big, &r) == 104, "a short head followed by more bytes: its length");
	free(h);

	{
		static char line[2048 + 64];

		memcpy(line, "GET /", 5);
		memset(line + 5, 'x', 2048);
		memcpy(line + 5 + 2048, " HTTP/1.1\r\n\r\n", 13);
		n = http_parse_head(line, strlen(line), &r);
		ok(n == -400 && strstr(r.error, "too long"), "an overlong target is 400");
	}

	ok(http_parse_head("GET / HTTP/1.1\r\n\0\r\n\r\n", 20, &r) == -400,
	   "a NUL byte in the head is 400");
	ok(http_parse_head("", 0, &r) == 0, "nothing yet: asks for more");
}

struct tgt {
	const char *target;
	int status;
	enum http_target_kind kind;
	const char *id;
	const char *file;
};

static const struct tgt tgts[] = {
	{ "/v1/", 0, TARGET_LIST, "", "" },
	{ "/v1", 0, TARGET_LIST, "", "" },
	{ "/v1/?x=1", 0, TARGET_LIST, "", "" },
	{ "/v1/features", 0, TARGET_ROOT_FILE, "", "features" },
	{ "/v1/ctl", 0, TARGET_ROOT_FILE, "", "ctl" },
	{ "/v1/web/", 0, TARGET_CTR_DIR, "web", "" },
	{ "/v1/web/state", 0, TARGET_CTR_FILE, "web", "state" },
	{ "/v1/web/config.json", 0, TARGET_CTR_FILE, "web", "config.json" },
	{ "/v1/a.b_c-1/events?since=0", 0, TARGET_CTR_FILE, "a.b_c-1", "events" },
	{ "/v1/w%65b/st%61te", 0, TARGET_CTR_FILE, "web", "state" },
	{ "/", 404, 0, NULL, NULL },
	{ "", 404, 0, NULL, NULL },
	{ "*", 404, 0, NULL, NULL },
	{ "/v2/", 404, 0, NULL, NULL },
	{ "/v1x/", 404, 0, NULL, NULL },
	{ "http://host/v1/", 404, 0, NULL, NULL },
	{ "/v1//", 400, 0, NULL, NULL },
	{ "/v1/../state", 400, 0, NULL, NULL },
	{ "/v1/./state", 400, 0, NULL, NULL },
	{ "/v1/-x/state", 400, 0, NULL, NULL },
	{ "/v1/a%2Fb/state", 400, 0, NULL, NULL },
	{ "/v1/a%00b/", 400, 0, NULL, NULL },
	{ "/v1/a%zz/", 400, 0, NULL, NULL },
	{ "/v1/a%2/", 400, 0, NULL, NULL },
	{ "/v1/web/state/x", 404, 0, NULL, NULL },
	{ "/v1/web//", 404, 0, NULL, NULL },
	{ "/v1/web/.hidden", 404, 0, NULL, NULL },
	{ "/v1/.", 404, 0, NULL, NULL },
	{ "/v1/%", 404, 0, NULL, NULL },
	{ "/v1/web/%2e%2e", 404, 0, NULL, NULL },
};

static void test_target(const struct tgt *t)
{
	struct http_target out;
	const char *why = NULL;
	int st = http_parse_target(t->target, &out, &why);
	bool good = st == t->status && why;

	if (good && st == 0)
		good = out.kind == t->kind && strcmp(out.id, t->id) == 0 &&
		       strcmp(out.file, t->file) == 0;
	if (good && st != 0)
		good = why[0] != '\0';
	if (!ok(good, "target %s: %d", show(t->target), t->status))
		printf("# got %d (%s) kind %d id %s file %s\n", st, why ? why : "(null)", out.kind,
		       out.id, out.file);
}

static void test_target_long_id(void)
{
	char t[300], id[130];
	struct http_target out;
	const char *why;

	memset(id, 'a', 128);
	id[128] = '\0';
	snprintf(t, sizeof(t), "/v1/%s/state", id);
	ok(http_parse_target(t, &out, &why) == 0 && strcmp(out.id, id) == 0,
	   "a 128-character id is valid");
	id[128] = 'a';
	id[129] = '\0';
	snprintf(t, sizeof(t), "/v1/%s/state", id);
	ok(http_parse_target(t, &out, &why) == 400, "a 129-character id is 400");
}

static void test_reason(void)
{
	ok(strcmp(http_reason(404), "Not Found") == 0 && strcmp(http_reason(599), "Unknown") == 0,
	   "reason phrases");
}

static void test_errno_status(void)
{
	ok(http_status_of_errno(EINVAL) == 400 && http_status_of_errno(ENOENT) == 404 &&
		   http_status_of_errno(EEXIST) == 409 && http_status_of_errno(EBUSY) == 409 &&
		   http_status_of_errno(EACCES) == 403 && http_status_of_errno(EPERM) == 403 &&
		   http_status_of_errno(EIO) == 500,
	   "errno to status: 400 404 409 409 403 403 500");
	ok(strcmp(http_errno_name(EBUSY), "EBUSY") == 0 && strcmp(http_errno_name(0x7fff), "EIO") == 0,
	   "errno names, EIO for an unknown one");
}

int main(void)
{
	size_t n_bads = sizeof(bads) / sizeof(bads[0]);
	size_t n_tgts = sizeof(tgts) / sizeof(tgts[0]);

	printf("1..%zu\n", 7 + 1 + n_bads + 6 + n_tgts + 2 + 1 + 2);
	test_good_heads();
	test_cuts();
	for (size_t i = 0; i < n_bads; i++)
		test_bad(&bads[i]);
	test_limits();
	for (size_t i = 0; i < n_tgts; i++)
		test_target(&tgts[i]);
	test_target_long_id();
	test_reason();
	test_errno_status();
	return n_failed ? 1 : 0;
}
